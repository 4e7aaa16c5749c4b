/**
 * The HTTP plumbing shared by every route: protocol errors (`{errorCode, message}` JSON), bearer
 * authentication, tamper-proof page tokens, zod-validated query parameters, and the timestamp
 * format of the protocol.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Recipient, ShareRegistry } from './config';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'INVALID_PARAMETER_VALUE'
  | 'UNSUPPORTED_OPERATION'
  | 'FORBIDDEN'
  | 'INTERNAL_ERROR';

export class SharingError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string): SharingError =>
  new SharingError(404, 'RESOURCE_DOES_NOT_EXIST', `${what} does not exist or is not shared with you`);
export const badParam = (msg: string): SharingError => new SharingError(400, 'INVALID_PARAMETER_VALUE', msg);

export function sendError(reply: FastifyReply, e: SharingError): FastifyReply {
  return reply
    .code(e.status)
    .header('content-type', 'application/json')
    .send(JSON.stringify({ errorCode: e.errorCode, message: e.message }));
}

/** The recipient of a request; 401 when the bearer token is missing or unknown. */
export function authenticate(req: FastifyRequest, shares: ShareRegistry): Recipient {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  const r = m ? shares.authenticate(m[1]) : null;
  if (!r) throw new SharingError(401, 'UNAUTHENTICATED', 'missing or invalid bearer token');
  return r;
}

/** Parse with zod; the first issue becomes a 400 naming the parameter. */
export function parseParams<S extends z.ZodTypeAny>(schema: S, value: unknown): z.infer<S> {
  const p = schema.safeParse(value ?? {});
  if (!p.success) {
    const i = p.error.issues[0];
    throw badParam(`${i?.path.join('.') || 'request'}: ${i?.message ?? 'invalid'}`);
  }
  return p.data;
}

/** A non-negative integer given as a query string or JSON number. */
export const nonNegInt = z
  .union([z.number().int().min(0), z.string().regex(/^\d{1,15}$/)])
  .transform((v) => Number(v));

export const PageQuery = z.object({
  maxResults: nonNegInt.pipe(z.number().max(10_000)).optional(),
  pageToken: z.string().max(512).optional(),
});

/**
 * Page tokens: the offset of the next item, bound by HMAC to the listing it came from (which
 * endpoint and share), so a client can neither forge an offset nor replay a token on another list.
 */
export class PageTokens {
  constructor(private readonly secret: Buffer) {}

  private mac(scope: string, offset: number): string {
    return createHmac('sha256', this.secret).update(`${scope}\n${offset}`).digest('base64url');
  }

  issue(scope: string, offset: number): string {
    return `${offset}.${this.mac(scope, offset)}`;
  }

  /** The offset a token designates; 400 when it was not issued for this listing. */
  offset(scope: string, token: string | undefined): number {
    if (token === undefined || token === '') return 0;
    const m = /^(\d{1,9})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (m) {
      const expected = Buffer.from(this.mac(scope, Number(m[1])));
      const given = Buffer.from(m[2]);
      if (expected.length === given.length && timingSafeEqual(expected, given)) return Number(m[1]);
    }
    throw badParam('pageToken is invalid or was issued for another listing');
  }

  /** One page of `items` and the token of the next one. */
  page<T>(
    scope: string,
    items: readonly T[],
    q: z.infer<typeof PageQuery>,
  ): { items: T[]; nextPageToken?: string } {
    const from = this.offset(scope, q.pageToken);
    const n = q.maxResults ?? 500;
    const slice = items.slice(from, from + n);
    const next = from + slice.length;
    return next < items.length ? { items: slice, nextPageToken: this.issue(scope, next) } : { items: slice };
  }
}

/**
 * Protocol timestamps: `yyyy-[m]m-[d]d hh:mm:ss[.f...]` (read as UTC: the server's zone) or ISO
 * 8601 with a zone. Milliseconds since the epoch; 400 when unparsable.
 */
export function parseTimestamp(name: string, s: string): number {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    s.trim(),
  );
  if (!m) throw badParam(`${name} "${s}" is not a timestamp (yyyy-mm-dd hh:mm:ss[.fff] or ISO 8601)`);
  const pad = (x: string): string => x.padStart(2, '0');
  const frac = m[7] ? m[7].slice(0, 4) : '';
  const iso = `${m[1]}-${pad(m[2])}-${pad(m[3])}T${pad(m[4])}:${m[5]}:${m[6]}${frac}${m[8] ?? 'Z'}`;
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) throw badParam(`${name} "${s}" is not a valid time`);
  return t;
}

/** `delta-sharing-capabilities: responseformat=delta,parquet;readerfeatures=…` as lower-case lists. */
export function capabilities(req: FastifyRequest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const h = req.headers['delta-sharing-capabilities'];
  const text = Array.isArray(h) ? h.join(';') : (h ?? '');
  for (const part of text.split(';')) {
    const [k, v] = part.split('=');
    if (!k || v === undefined) continue;
    out.set(
      k.trim().toLowerCase(),
      v.split(',').map((x) => x.trim().toLowerCase()),
    );
  }
  return out;
}
