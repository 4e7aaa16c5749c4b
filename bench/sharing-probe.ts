/**
 * `node dist/bench/sharing-probe.js cold|disk small|large [version] [n]`: n queries, one after
 * another, of a sharing bench table (bench/sharing-prepare.ts imports them) on a server with the
 * memory cache off, without (`cold`) or with (`disk`) kept answers; prints seconds, lines, MB.
 * For profiling (`node --cpu-prof dist/bench/sharing-probe.js …`); the figures are bench/'s.
 */
import * as http from 'node:http';
import { openCatalog } from '../catalog/open';
import { parseShares, sha256Hex } from '../sharing/config';
import { buildSharingServer } from '../sharing/server';

const mode = process.argv[2] ?? 'cold';
const table = process.argv[3] ?? 'small';
const version = process.argv[4] === undefined ? null : Number(process.argv[4]);
const n = Number(process.argv[5] ?? 5);
async function main() {
  const store = await openCatalog(
    'postgresql://deltasql:deltasql@127.0.0.1:5432/deltasql_bench?schema=bench_sharing',
  );
  const shares = parseShares(
    [
      'shares:',
      '  - name: bench',
      '    schemas:',
      '      - name: default',
      '        tables:',
      '          - name: small',
      '            table: small-full',
      '          - name: large',
      '            table: large-full',
      'tokens:',
      '  - name: bench',
      `    hashSha256: ${sha256Hex('t')}`,
      '    shares: [bench]',
    ].join('\n'),
  );
  const dir = '/tmp/h17/answers';
  const app = await buildSharingServer({
    store,
    shares,
    basePath: '/ds',
    responseCacheBytes: 0,
    secret: Buffer.alloc(32, 7),
    ...(mode === 'disk' ? { answerDir: dir } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PROBE_PORT ?? 0) });
  const port = (app.server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true });
  const q = () =>
    new Promise<[number, number, number]>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const body = JSON.stringify(version === null ? {} : { version });
      const req = http.request(
        {
          agent,
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/ds/shares/bench/schemas/default/tables/${table}/query`,
          headers: {
            authorization: 'Bearer t',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let lines = 0;
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            if (bytes > 0 && bytes < 4000 && process.env.PROBE_DUMP)
              process.stdout.write(c.subarray(0, 3000).toString() + '\n');
            bytes += c.length;
            for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++;
          });
          res.on('end', () =>
            res.statusCode === 200
              ? resolve([Number(process.hrtime.bigint() - t0) / 1e9, lines, bytes])
              : reject(new Error(String(res.statusCode))),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < n; i++) {
    const [s, l, b] = await q();
    console.log(mode, table, version, s.toFixed(3), 's', l, 'lines', (b / 1e6).toFixed(1), 'MB');
  }
  agent.destroy();
  await app.close();
  await store.close();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
