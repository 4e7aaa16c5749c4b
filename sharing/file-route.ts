/**
 * The file route for local tables:
 * `GET|HEAD {base}/files/{tableId}/{reference}?fs=…&exp=…&X-Amz-Signature=…`. A request is served
 * only when the file tag the server issued for exactly this table and reference, and the expiry
 * tag for this table and expiry, both verify and the expiry has not passed (sharing/signer.ts); a
 * reference with a `..` segment is refused before anything else. Everything refused answers 403,
 * so a probe learns nothing. Byte ranges are honoured (pyarrow and delta-kernel read parquet
 * footers with ranged GETs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CatalogStore } from '../catalog/store';
import { EXP_PARAM, FILE_TAG_PARAM, SIG_PARAM, type UrlSigner } from './signer';
import { SharingError, sendError } from './http';

const forbidden = (why: string): SharingError =>
  new SharingError(403, 'FORBIDDEN', `file access denied: ${why}`);

/** Split the raw request URL: no decoding happens before the traversal check. */
function parseFileUrl(
  rawUrl: string,
  base: string,
): { tableId: string; ref: string; query: URLSearchParams } {
  const q = rawUrl.indexOf('?');
  const pathPart = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  const prefix = `${base}/files/`;
  if (!pathPart.startsWith(prefix)) throw forbidden('not a file URL');
  const rest = pathPart.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw forbidden('malformed file URL');
  let tableId: string;
  let ref: string;
  try {
    tableId = decodeURIComponent(rest.slice(0, slash));
    ref = decodeURIComponent(rest.slice(slash + 1));
  } catch {
    throw forbidden('malformed file URL');
  }
  if (ref.split(/[/\\]/).some((seg) => seg === '..') || ref.includes('\0')) throw forbidden('path traversal');
  return { tableId, ref, query };
}

function parseRange(h: string | undefined, size: number): { start: number; end: number } | null {
  if (!h) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Math.min(Number(m[2]), size);
    return { start: size - n, end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start <= end ? { start, end } : { start: size, end: size - 1 };
}

export function registerFileRoute(
  app: FastifyInstance,
  opts: {
    base: string;
    store: CatalogStore;
    signer: UrlSigner;
    sharedTableIds: () => Promise<Set<string>>;
    localRoot: (location: string) => string | null;
  },
): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const { tableId, ref, query } = parseFileUrl(req.raw.url ?? '', opts.base);
      const verdict = opts.signer.verify(tableId, ref, {
        fileTag: query.get(FILE_TAG_PARAM) ?? undefined,
        exp: query.get(EXP_PARAM) ?? undefined,
        sig: query.get(SIG_PARAM) ?? undefined,
      });
      if (verdict !== 'ok') throw forbidden(verdict);
      if (!(await opts.sharedTableIds()).has(tableId)) throw forbidden('table is not shared');
      const table = await opts.store.findTable(tableId);
      const root = table ? opts.localRoot(table.location) : null;
      if (root === null) throw forbidden('table is not a local table');
      const file = path.isAbsolute(ref) ? ref : path.join(root, ref);
      let st: fs.Stats;
      try {
        st = await fs.promises.stat(file);
      } catch {
        throw new SharingError(404, 'RESOURCE_DOES_NOT_EXIST', 'file does not exist');
      }
      const range = parseRange(req.headers.range, st.size);
      reply.header('accept-ranges', 'bytes').header('content-type', 'application/octet-stream');
      if (range && range.start >= st.size) {
        return reply.code(416).header('content-range', `bytes */${st.size}`).send();
      }
      const { start, end } = range ?? { start: 0, end: st.size - 1 };
      reply.header('content-length', String(end - start + 1));
      if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${st.size}`);
      if (req.method === 'HEAD' || st.size === 0) return reply.send();
      return reply.send(fs.createReadStream(file, { start, end }));
    } catch (e) {
      if (e instanceof SharingError) return sendError(reply, e);
      throw e;
    }
  };
  app.route({ method: ['GET', 'HEAD'], url: `${opts.base}/files/*`, handler });
}
