/**
 * A small fault-injecting HTTP proxy in front of a real S3 endpoint (moto). A seeded share of the
 * requests is answered with an S3 error (500 InternalError, 503 ServiceUnavailable, 503 SlowDown,
 * 429 throttling) without reaching moto; everything else is forwarded byte for byte, Host header
 * included, so SigV4 signatures stay valid. It counts what it did, and how many faulted requests
 * were asked again (the store's or the activity's retry).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Rng } from '../../bench/generator/prng';

export interface InjectedFault {
  status: number;
  code: string;
}

export const FAULTS: readonly InjectedFault[] = [
  { status: 500, code: 'InternalError' },
  { status: 503, code: 'ServiceUnavailable' },
  { status: 503, code: 'SlowDown' },
  { status: 429, code: 'TooManyRequests' },
];

export interface ProxyStats {
  requests: number;
  forwarded: number;
  injected: number;
  byFault: Record<string, number>;
  /** Requests for an object (method and URL) that had been answered with an injected fault. */
  retriedAfterFault: number;
  upstreamErrors: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly stats: ProxyStats;
  /** Share of requests to fail, 0..1. */
  setRate(rate: number): void;
  close(): Promise<void>;
}

export async function startFaultProxy(opts: {
  target: string;
  rate: number;
  seed: number;
}): Promise<FaultProxy> {
  const target = new URL(opts.target);
  const rng = new Rng(opts.seed, 0x5e);
  let rate = opts.rate;
  const stats: ProxyStats = {
    requests: 0,
    forwarded: 0,
    injected: 0,
    byFault: {},
    retriedAfterFault: 0,
    upstreamErrors: 0,
  };

  const faulted = new Set<string>();
  const server = http.createServer((req, res) => {
    stats.requests++;
    const key = `${req.method} ${req.url}`;
    if (faulted.delete(key)) stats.retriedAfterFault++;
    if (rng.float() < rate) {
      faulted.add(key);
      const f = FAULTS[rng.int(0, FAULTS.length - 1)];
      stats.injected++;
      const kind = `${f.status} ${f.code}`;
      stats.byFault[kind] = (stats.byFault[kind] ?? 0) + 1;
      req.resume();
      req.on('end', () => {
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${f.code}</Code><Message>injected by the fault proxy</Message><RequestId>fault-${stats.requests}</RequestId></Error>`;
        res.writeHead(f.status, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(body),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
      return;
    }
    stats.forwarded++;
    const up = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      stats.upstreamErrors++;
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setRate: (r) => void (rate = r),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
