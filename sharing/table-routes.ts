/**
 * Per-table endpoints: version (GET …/version and the deprecated HEAD), metadata, query (POST) and
 * changes. Every answer is computed from the catalog (see table-data.ts); file URLs are signed
 * per response and expire.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isDeltaSqlError } from '../common/errors';
import type { CatalogTable } from '../catalog/store';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import type { SnapshotJson } from '../delta/snapshot-json';
import type { Recipient, ShareRegistry } from './config';
import {
  SharingError,
  badParam,
  capabilities,
  nonNegInt,
  notFound,
  parseParams,
  parseTimestamp,
} from './http';
import {
  fileLine,
  metadataLine,
  needsDeltaFormat,
  protocolLine,
  stateLines,
  type ResponseFormat,
  type SignFn,
} from './responses';
import { changeStream, type ChangeMode } from './change-stream';
import { pageText } from './query-lines';
import type { AnswerStore, AnswerWriter, Backlog } from './answer-store';
import type { Prewarmer } from './prewarm';
import { answerKey, answerLines, keepAnswer, type AnswerRequest } from './query-answer';
import type { ResponseCache } from './response-cache';
import { tableState, type FileRow } from './table-data';

export interface TableContext {
  store: SqlCatalogStore;
  shares: ShareRegistry;
  base: string;
  /**
   * Signing for one catalog table's files, for this request (local route or pre-signing). With
   * `memo`, a file named twice gets the same URL (change responses pair removes with adds).
   */
  signerFor(base: string, table: CatalogTable, memo: boolean, now?: number): SignFn;
  recipient(req: FastifyRequest): Recipient;
  /** `scheme://host/base` of this request: local file URLs (and so cached answers) depend on it. */
  publicBase(req: FastifyRequest): string;
  answers: ResponseCache;
  /** Parquet-format answers kept on disk and re-signed per response (sharing/answer-store.ts), or null. */
  stored: { store: AnswerStore; fileKeyId: string } | null;
  /** Told of latest-version answers, so it keeps answers for the versions that follow. */
  prewarm: Prewarmer | null;
  pageRows?: number;
}

/** Table states (protocol, metadata, counts) of committed versions, which never change. */
const STATE_CACHE_ENTRIES = 256;

type TableParams = { share: string; schema: string; table: string };

const QueryBody = z.object({
  predicateHints: z.array(z.string()).optional(),
  jsonPredicateHints: z
    .string()
    .max(1 << 20)
    .optional(),
  limitHint: nonNegInt.optional(),
  version: nonNegInt.optional(),
  timestamp: z.string().optional(),
  startingVersion: nonNegInt.optional(),
  endingVersion: nonNegInt.optional(),
});

const ChangesQuery = z.object({
  startingVersion: nonNegInt.optional(),
  startingTimestamp: z.string().optional(),
  endingVersion: nonNegInt.optional(),
  endingTimestamp: z.string().optional(),
  includeHistoricalMetadata: z
    .string()
    .regex(/^(true|false)$/i)
    .optional(),
});

const VersionQuery = z.object({ startingTimestamp: z.string().optional() });

/** Catalog errors a client's time-travel parameters caused: no such version, a time outside the history. */
const CLIENT_ERRORS: ReadonlySet<string> = new Set([
  'VersionNotFound',
  'TimestampAfterLatestCommit',
  'InvalidArgument',
]);

function asClientError(e: unknown): never {
  if (isDeltaSqlError(e) && CLIENT_ERRORS.has(e.type)) throw badParam(e.message);
  throw e;
}

/**
 * The response format: delta when the client accepts it and the table needs it (or delta is all
 * it accepts); parquet otherwise. A table that needs delta, asked for parquet only, is refused.
 */
function chooseFormat(req: FastifyRequest, s: Pick<SnapshotJson, 'protocol' | 'metadata'>): ResponseFormat {
  const formats = capabilities(req).get('responseformat') ?? ['parquet'];
  const delta = formats.includes('delta');
  const parquet = formats.includes('parquet');
  if (needsDeltaFormat(s)) {
    if (delta) return 'delta';
    throw new SharingError(
      400,
      'UNSUPPORTED_OPERATION',
      'the table uses deletion vectors or column mapping and can only be read in the delta response format: ' +
        'send the header delta-sharing-capabilities: responseformat=delta',
    );
  }
  return parquet || !delta ? 'parquet' : 'delta';
}

export interface TableRoutes {
  /** Keep the parquet answer of `t`'s latest version under `base`, unless kept or not parquet. */
  keepLatest(t: CatalogTable, base: string): Promise<void>;
}

export function registerTableRoutes(app: FastifyInstance, ctx: TableContext): TableRoutes {
  const prefix = `${ctx.base}/shares/:share/schemas/:schema/tables/:table`;

  async function resolve(req: FastifyRequest): Promise<CatalogTable> {
    const p = req.params as TableParams;
    const shared = ctx.shares.table(ctx.recipient(req), p.share, p.schema, p.table);
    if (!shared) throw notFound(`table ${p.share}.${p.schema}.${p.table}`);
    const t = await ctx.store.findTable(shared.table);
    if (!t || t.lastVersion === null) throw notFound(`table ${p.share}.${p.schema}.${p.table}`);
    return t;
  }

  const headers = (reply: FastifyReply, version: number, format: string): FastifyReply =>
    reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('delta-table-version', String(version))
      .header('delta-sharing-capabilities', `responseformat=${format}`);

  const ndjson = (
    reply: FastifyReply,
    version: number,
    format: ResponseFormat,
    lines: string[],
  ): FastifyReply => headers(reply, version, format).send(lines.length === 0 ? '' : lines.join('\n') + '\n');

  /**
   * A streamed NDJSON answer: one chunk per page, pulled only as fast as the client reads. With a
   * collector, the chunks are also kept for the response cache once the last one was sent.
   */
  const ndjsonStream = (
    reply: FastifyReply,
    version: number,
    format: ResponseFormat,
    head: string[],
    rest: AsyncIterable<string | Buffer>,
    keep?: ReturnType<ResponseCache['collector']>,
    write?: AnswerWriter,
    flow?: { backlog: Backlog },
  ): FastifyReply => {
    async function* all(): AsyncGenerator<string | Buffer> {
      const first = head.join('\n') + '\n';
      keep?.add(first);
      yield first;
      let writing = write;
      try {
        for await (const chunk of rest) {
          keep?.add(chunk);
          if (writing && !(await writing.add(chunk))) writing = undefined;
          yield chunk;
        }
        await writing?.finish();
      } finally {
        await write?.abort(); // nothing after finish; a partial file otherwise
      }
      keep?.store();
    }
    // Bytes, not objects: the backlog of a kept answer's re-used buffers is counted in bytes.
    const body = Readable.from(all(), { objectMode: false, highWaterMark: 1 });
    if (flow)
      flow.backlog = () => (keep?.collecting() ? Infinity : body.readableLength + reply.raw.writableLength);
    return headers(reply, version, format).send(body);
  };

  const states = new Map<string, SnapshotJson>();
  /** The table state a query names; committed versions' states are kept (they never change). */
  async function stateAt(
    t: CatalogTable,
    at: { version?: number; timestamp?: number },
  ): Promise<SnapshotJson> {
    const v = at.version ?? (at.timestamp === undefined ? (t.lastVersion ?? undefined) : undefined);
    const key = `${t.tableId}\n${t.location}\n${v}`;
    const hit = v === undefined ? undefined : states.get(key);
    if (hit) return hit;
    const s = await tableState(ctx.store, t.tableId, at).catch(asClientError);
    if (states.size >= STATE_CACHE_ENTRIES) states.clear();
    states.set(`${t.tableId}\n${t.location}\n${s.version}`, s);
    return s;
  }

  const version = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const t = await resolve(req);
    const q = parseParams(VersionQuery, req.query);
    let v = t.lastVersion ?? 0;
    if (q.startingTimestamp !== undefined) {
      const ts = parseTimestamp('startingTimestamp', q.startingTimestamp);
      const rows = await ctx.store.driver.query(
        `SELECT MIN(version) AS v FROM {T:dl_table_versions} WHERE table_id = ? AND commit_timestamp >= ?`,
        [t.tableId, ts],
      );
      if (rows[0]?.v === null || rows[0]?.v === undefined)
        throw badParam(`no version of the table was committed at or after ${q.startingTimestamp}`);
      v = Number(rows[0].v);
    }
    return reply.header('delta-table-version', String(v)).send();
  };
  app.get(`${prefix}/version`, version);
  app.head(prefix, version);

  app.get(`${prefix}/metadata`, async (req, reply) => {
    const t = await resolve(req);
    const s = await tableState(ctx.store, t.tableId, {});
    return ndjson(reply, s.version, chooseFormat(req, s), stateLines(s, chooseFormat(req, s)));
  });

  app.post(`${prefix}/query`, async (req, reply) => {
    const t = await resolve(req);
    const body = parseParams(QueryBody, req.body);
    if (body.startingVersion !== undefined) return queryChanges(req, reply, t, body);
    if (body.version !== undefined && body.timestamp !== undefined)
      throw badParam('version and timestamp cannot both be given');
    const at =
      body.version !== undefined
        ? { version: body.version }
        : body.timestamp !== undefined
          ? { timestamp: parseTimestamp('timestamp', body.timestamp) }
          : {};
    const s = await stateAt(t, at);
    const format = chooseFormat(req, s);
    const now = Date.now();
    const r: AnswerRequest = {
      t,
      s,
      format,
      hints: body.jsonPredicateHints,
      limitHint: body.limitHint,
      base: ctx.publicBase(req),
    };
    const key = answerKey(r);
    const cached = ctx.answers.get(key, now);
    if (cached) return headers(reply, cached.version, cached.format).send(cached.body);
    const sign = ctx.signerFor(r.base, t, false, now);
    const keep = ctx.answers.collector(key, { version: s.version, format, signedAt: now });
    // Until the answer streams, nothing of a kept answer's buffers may be re-used.
    const flow = { backlog: (): number => Infinity };
    const { lines, write } = await answerLines(ctx, r, sign, () => flow.backlog());
    // A plain query of the latest version: the next versions' answers are worth keeping ahead.
    if (format === 'parquet' && s.version === t.lastVersion && !r.hints && r.limitHint === undefined)
      ctx.prewarm?.note(t, r.base, s.version);
    return ndjsonStream(reply, s.version, format, stateLines(s, format), lines, keep, write, flow);
  });

  /** Query from a starting version: the data-changing adds and removes, with historical metadata. */
  async function queryChanges(
    req: FastifyRequest,
    reply: FastifyReply,
    t: CatalogTable,
    body: z.infer<typeof QueryBody>,
  ): Promise<FastifyReply> {
    const start = body.startingVersion ?? 0;
    const end = body.endingVersion ?? t.lastVersion ?? 0;
    return changeLines(req, reply, t, start, end, true, 'actions');
  }

  /**
   * A change answer, streamed page by page from SQL. URLs are signed once per version with one
   * instant: the remove and the add of one file in one version carry the same URL (a Delta reader
   * pairs them), and the memo that guarantees it never outlives its version.
   */
  async function changeLines(
    req: FastifyRequest,
    reply: FastifyReply,
    t: CatalogTable,
    start: number,
    end: number,
    history: boolean,
    mode: ChangeMode = 'cdf',
  ): Promise<FastifyReply> {
    if (end < start) throw badParam(`endingVersion ${end} is before startingVersion ${start}`);
    if (t.firstVersion !== null && start < t.firstVersion)
      throw badParam(
        `startingVersion ${start} is before the first version the catalog holds (${t.firstVersion})`,
      );
    if (end > (t.lastVersion ?? 0))
      throw badParam(`endingVersion ${end} is after the latest version ${t.lastVersion}`);
    const s = await stateAt(t, { version: start });
    const format = chooseFormat(req, s);
    const changes = await changeStream(
      ctx.store,
      t.tableId,
      start,
      end,
      mode === 'cdf' && format === 'delta' ? 'all' : mode,
      ctx.pageRows,
    );
    const head = [protocolLine(s.protocol, format), metadataLine(s.metadata, format, { version: start })];
    if (history || format === 'delta') {
      for (const [v, m] of changes.metadata)
        if (v > start) head.push(metadataLine(m, format, { version: v }));
    }
    const now = Date.now();
    let signVersion = -1;
    let sign = ctx.signerFor(ctx.publicBase(req), t, true, now);
    const line = (f: FileRow): string | Promise<string> => {
      if (f.version !== signVersion) {
        signVersion = f.version;
        sign = ctx.signerFor(ctx.publicBase(req), t, true, now);
      }
      return fileLine(f, sign, { format, wrapper: 'change', timestamp: changes.timestamps.get(f.version) });
    };
    const first = await changes.pages.next();
    async function* fileLines(): AsyncGenerator<string> {
      for (let p = first; !p.done; p = await changes.pages.next()) yield await pageText(p.value, line);
    }
    return ndjsonStream(reply, start, format, head, fileLines());
  }

  app.get(`${prefix}/changes`, async (req, reply) => {
    const t = await resolve(req);
    const q = parseParams(ChangesQuery, req.query);
    let start = q.startingVersion;
    if (start === undefined && q.startingTimestamp !== undefined) {
      const ts = parseTimestamp('startingTimestamp', q.startingTimestamp);
      const r = await ctx.store.driver.query(
        `SELECT MIN(version) AS v FROM {T:dl_table_versions} WHERE table_id = ? AND commit_timestamp >= ?`,
        [t.tableId, ts],
      );
      if (r[0]?.v === null || r[0]?.v === undefined)
        throw badParam(`no version at or after ${q.startingTimestamp}`);
      start = Number(r[0].v);
    }
    if (start === undefined) throw badParam('startingVersion or startingTimestamp is required');
    let end = q.endingVersion ?? t.lastVersion ?? 0;
    if (q.endingVersion === undefined && q.endingTimestamp !== undefined) {
      const s = await tableState(ctx.store, t.tableId, {
        timestamp: parseTimestamp('endingTimestamp', q.endingTimestamp),
      }).catch(asClientError);
      end = s.version;
    }
    return changeLines(req, reply, t, start, end, q.includeHistoricalMetadata?.toLowerCase() === 'true');
  });
  return {
    keepLatest: async (t, base) => {
      if (t.lastVersion === null) return;
      const s = await stateAt(t, { version: t.lastVersion });
      if (needsDeltaFormat(s)) return;
      await keepAnswer(ctx, { t, s, format: 'parquet', base }, ctx.signerFor(base, t, false));
    },
  };
}
