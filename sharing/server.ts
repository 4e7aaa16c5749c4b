/**
 * `deltasql serve`: a Delta Sharing server (delta-io/delta-sharing PROTOCOL.md) over the catalog,
 * on Fastify. Every protocol route authenticates the bearer token; a token sees only its shares,
 * and anything it may not see answers exactly like something that does not exist (404). Errors are
 * the protocol's `{errorCode, message}`. The access log names the route pattern, status, time and
 * recipient only: never a token, a query string or a signed URL.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { CatalogTable } from '../catalog/store';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import type { ObjectStore } from '../storage/object-store';
import { openStore } from '../storage/uri';
import type { Recipient, ShareRegistry } from './config';
import { registerFileRoute } from './file-route';
import { PageQuery, PageTokens, SharingError, authenticate, notFound, parseParams, sendError } from './http';
import { expirySlot, type SignFn } from './responses';
import { AnswerStore } from './answer-store';
import { ResponseCache } from './response-cache';
import { UrlSigner } from './signer';
import { Prewarmer } from './prewarm';
import { registerTableRoutes, type TableRoutes } from './table-routes';

export interface AccessLogEntry {
  method: string;
  route: string;
  status: number;
  ms: number;
  recipient?: string;
}

export interface SharingServerOptions {
  store: SqlCatalogStore;
  shares: ShareRegistry;
  /** URL prefix of every route, e.g. `/delta-sharing` ('' for none). */
  basePath?: string;
  /** Lifetime of signed file URLs. */
  urlTtlSeconds?: number;
  /** HMAC key for local file URLs and page tokens; random per process by default. */
  secret?: Buffer;
  accessLog?: (e: AccessLogEntry) => void;
  /** File rows per SQL page of a query answer (sharing/file-stream.ts). */
  filePageRows?: number;
  /**
   * Bytes of query answers kept for re-use (sharing/response-cache.ts); 0 turns the cache off.
   * Default 256 MiB. Answers are re-used for min(60 s, ttl / 4) after they were signed.
   */
  responseCacheBytes?: number;
  /**
   * A directory for parquet-format answers of local tables kept on disk and re-signed per
   * response (sharing/answer-store.ts); none by default. They survive a restart only with the
   * same `secret` (file tags depend on it).
   */
  answerDir?: string;
  /** Disk budget of `answerDir`, least recently used out. Default 4 GiB. */
  answerDirBytes?: number;
  /**
   * With `answerDir`: how often to look for new latest versions of tables queried at their latest
   * and keep their answers before they are asked for (sharing/prewarm.ts). Default 5 s; 0: never.
   */
  prewarmIntervalMs?: number;
}

/** A local table's root directory, or null for tables on object stores. */
export function localRoot(location: string): string | null {
  if (location.startsWith('file:')) return fileURLToPath(location);
  return /^[a-zA-Z][a-zA-Z0-9+.-]+:\/\//.test(location) ? null : location;
}

export async function buildSharingServer(o: SharingServerOptions): Promise<FastifyInstance> {
  const base = (o.basePath ?? '').replace(/\/+$/, '');
  const secret = o.secret ?? randomBytes(32);
  const signer = new UrlSigner(o.urlTtlSeconds ?? 900, secret);
  const answers = new ResponseCache(
    o.responseCacheBytes ?? 256 * 2 ** 20,
    Math.min(60_000, (signer.ttlSeconds * 1000) / 4),
  );
  const pages = new PageTokens(secret);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const recipients = new WeakMap<FastifyRequest, Recipient>();
  const stores = new Map<string, ObjectStore>();

  app.addHook('onResponse', async (req, reply) => {
    o.accessLog?.({
      method: req.method,
      route: req.routeOptions.url ?? '(no route)',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      recipient: recipients.get(req)?.name,
    });
  });
  app.setErrorHandler((e, _req, reply) => {
    if (e instanceof SharingError) return sendError(reply, e);
    const status = (e as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return sendError(reply, new SharingError(status, 'INVALID_PARAMETER_VALUE', (e as Error).message));
    return sendError(reply, new SharingError(500, 'INTERNAL_ERROR', 'internal error'));
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, notFound('resource')));

  const recipient = (req: FastifyRequest): Recipient => {
    let r = recipients.get(req);
    if (!r) {
      r = authenticate(req, o.shares);
      recipients.set(req, r);
    }
    return r;
  };
  // Authenticate before anything else is looked at (the file route carries its own signature).
  app.addHook('preHandler', async (req) => {
    if (!req.routeOptions.url?.startsWith(`${base}/files/`)) recipient(req);
  });

  const publicBase = (req: FastifyRequest): string => `${req.protocol}://${req.host}${base}`;
  /**
   * One response signs each file once, at one instant: the remove and the add of the same file in
   * one version must carry the same URL, or a Delta reader cannot pair them (CDF of DV updates).
   */
  const signerFor = (prefix: string, t: CatalogTable, memo: boolean, now = Date.now()): SignFn => {
    const root = localRoot(t.location);
    let sign: SignFn;
    if (root !== null) {
      const expiresAt = now + signer.ttlSeconds * 1000;
      const { file, expiry } = signer.localUrlParts(t.tableId, expiresAt);
      sign = (ref) => ({ url: prefix + file(ref) + expiry, expiresAt });
      // The path part is percent-encoding, hex and digits: only the request's host could need escaping.
      sign.jsonSafe = JSON.stringify(prefix) === `"${prefix}"`;
      if (sign.jsonSafe && String(expiresAt).length === 13) sign.slot = expirySlot(expiry, expiresAt);
    } else {
      let store = stores.get(t.location);
      if (!store) stores.set(t.location, (store = openStore(t.location)));
      const s = store;
      sign = async (ref) => ({
        url: await signer.remoteUrl(s, ref),
        expiresAt: now + signer.ttlSeconds * 1000,
      });
    }
    // Local URLs are a function of (file, now) already; the memo is only kept for change
    // responses, one per version (table-routes.ts), so it never grows with the answer.
    if (!memo || root !== null) return sign;
    const seen = new Map<string, ReturnType<SignFn>>();
    return (ref) => {
      const k = `${ref.kind}:${UrlSigner.refString(ref)}`;
      let r = seen.get(k);
      if (!r) seen.set(k, (r = sign(ref)));
      return r;
    };
  };

  const shareItem = (name: string) => ({ name });
  app.get(`${base}/shares`, async (req) => {
    const q = parseParams(PageQuery, req.query);
    return pages.page(
      'shares',
      o.shares.shares(recipient(req)).map((s) => shareItem(s.name)),
      q,
    );
  });
  app.get<{ Params: { share: string } }>(`${base}/shares/:share`, async (req) => {
    const s = o.shares.share(recipient(req), req.params.share);
    if (!s) throw notFound(`share ${req.params.share}`);
    return { share: shareItem(s.name) };
  });
  app.get<{ Params: { share: string } }>(`${base}/shares/:share/schemas`, async (req) => {
    const q = parseParams(PageQuery, req.query);
    const s = o.shares.share(recipient(req), req.params.share);
    if (!s) throw notFound(`share ${req.params.share}`);
    return pages.page(
      `schemas\n${s.name}`,
      s.schemas.map((sc) => ({ name: sc.name, share: s.name })),
      q,
    );
  });
  app.get<{ Params: { share: string; schema: string } }>(
    `${base}/shares/:share/schemas/:schema/tables`,
    async (req) => {
      const q = parseParams(PageQuery, req.query);
      const s = o.shares.share(recipient(req), req.params.share);
      const sc = s?.schemas.find((x) => x.name.toLowerCase() === req.params.schema.toLowerCase());
      if (!s || !sc) throw notFound(`schema ${req.params.share}.${req.params.schema}`);
      const items = sc.tables.map((t) => ({ name: t.name, schema: sc.name, share: s.name }));
      return pages.page(`tables\n${s.name}\n${sc.name}`, items, q);
    },
  );
  app.get<{ Params: { share: string } }>(`${base}/shares/:share/all-tables`, async (req) => {
    const q = parseParams(PageQuery, req.query);
    const s = o.shares.share(recipient(req), req.params.share);
    if (!s) throw notFound(`share ${req.params.share}`);
    const items = s.schemas.flatMap((sc) =>
      sc.tables.map((t) => ({ name: t.name, schema: sc.name, share: s.name })),
    );
    return pages.page(`all-tables\n${s.name}`, items, q);
  });

  let routes: TableRoutes | null = null;
  const prewarm =
    o.answerDir !== undefined && (o.prewarmIntervalMs ?? 5_000) > 0
      ? new Prewarmer({
          intervalMs: o.prewarmIntervalMs ?? 5_000,
          findTable: (id) => o.store.findTable(id),
          build: async (t, b) => routes?.keepLatest(t, b),
        })
      : null;
  routes = registerTableRoutes(app, {
    store: o.store,
    shares: o.shares,
    base,
    signerFor,
    recipient,
    publicBase,
    answers,
    stored:
      o.answerDir === undefined
        ? null
        : {
            store: new AnswerStore(o.answerDir, o.answerDirBytes ?? 4 * 2 ** 30),
            fileKeyId: signer.fileKeyId,
          },
    prewarm,
    pageRows: o.filePageRows,
  });

  let shared: { at: number; ids: Set<string> } | null = null;
  const sharedTableIds = async (): Promise<Set<string>> => {
    if (shared && Date.now() - shared.at < 5_000) return shared.ids;
    const ids = new Set<string>();
    for (const t of o.shares.allTables()) {
      const row = await o.store.findTable(t.table);
      if (row) ids.add(row.tableId);
    }
    shared = { at: Date.now(), ids };
    return ids;
  };
  registerFileRoute(app, { base, store: o.store, signer, sharedTableIds, localRoot });
  app.addHook('onClose', async () => {
    await prewarm?.stop();
    signer.close();
  });
  return app;
}
