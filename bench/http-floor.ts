/**
 * `node dist/bench/http-floor.js LINES BYTES`: the floor under any sharing server's query latency
 * on this machine. A bare node:http server (no routing, auth, SQL or signing) that answers every
 * request with the same number of NDJSON lines and bytes as a real answer, from one Buffer held
 * in memory. Prints `port N` once listening. bench/scenario-sharing.ts times it beside the real
 * servers: delta-rs time / floor time is the largest speedup that answer's bytes allow here.
 */
import * as http from 'node:http';

const lines = Number(process.argv[2]);
const bytes = Number(process.argv[3]);
if (!Number.isSafeInteger(lines) || !Number.isSafeInteger(bytes) || lines < 1 || bytes < lines * 2)
  throw new Error('usage: http-floor LINES BYTES');

const body = Buffer.alloc(bytes, 0x78);
// Lines of equal length but the last, each ending in '\n' as NDJSON does.
const width = Math.floor(bytes / lines);
for (let i = 1; i <= lines; i++) body[i === lines ? bytes - 1 : i * width - 1] = 10;

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('content-length', bytes);
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`port ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
