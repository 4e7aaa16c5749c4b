/**
 * A tiny HTTP fault proxy for the storage conformance suite: it forwards every request to a real
 * emulator unchanged (method, path, headers, body), except that it can answer the next N requests,
 * or all of them, with an injected status instead. It counts the requests it sees, so a test can
 * prove how often a store retried, and keeps each one's method, path and byte range (`Range`, or
 * Azure's `x-ms-range`), so a test can prove how a reader read.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultProxy {
  readonly url: string;
  /** Requests received since start or the last reset. */
  readonly requests: number;
  /** The same requests: method, path with query, and the byte range asked for, if any. */
  readonly seen: readonly { method: string; path: string; range?: string }[];
  /**
   * Forward `skip` requests, answer the next `n` with `status` (and `headers`, e.g. Retry-After),
   * then forward again.
   */
  failNext(n: number, status: number, skip?: number, headers?: Record<string, string>): void;
  /** Answer every request with `status` until reset. */
  failAll(status: number): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let requests = 0;
  let seen: { method: string; path: string; range?: string }[] = [];
  let skipLeft = 0;
  let failLeft = 0;
  let failStatus = 503;
  let always = false;
  let failHeaders: Record<string, string> = {};
  const server = http.createServer((req, res) => {
    requests++;
    const range = req.headers['x-ms-range'] ?? req.headers.range;
    seen.push({
      method: req.method ?? '',
      path: req.url ?? '',
      range: typeof range === 'string' ? range : undefined,
    });
    if (skipLeft > 0) skipLeft--;
    else if (always || failLeft > 0) {
      if (!always) failLeft--;
      // Read the whole request first, so the client sees an answer rather than a reset socket.
      req.resume();
      req.on('end', () => {
        res.writeHead(failStatus, { ...failHeaders, 'content-type': 'text/plain', connection: 'close' });
        res.end(`injected ${failStatus}`);
      });
      return;
    }
    const up = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    get seen() {
      return seen;
    },
    failNext(n, status, skip = 0, headers = {}) {
      [skipLeft, failLeft, failStatus, always, failHeaders] = [skip, n, status, false, headers];
    },
    failAll(status) {
      [failStatus, always, failHeaders] = [status, true, {}];
    },
    reset() {
      [requests, seen, skipLeft, failLeft, always, failHeaders] = [0, [], 0, 0, false, {}];
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
