/**
 * `deltasql serve --catalog URL --shares shares.yaml [--host 127.0.0.1] [--port 8080]
 * [--base-path /delta-sharing] [--url-ttl 900] [--response-cache-mb 256] [--answer-dir DIR
 * [--answer-dir-mb 4096]] [--secret-file F]`: a Delta Sharing server over the catalog
 * (sharing/server.ts). Runs until SIGINT/SIGTERM; access log lines go to stderr as JSON.
 * `--answer-dir` keeps parquet-format answers on disk (sharing/answer-store.ts); they are re-used
 * after a restart only with the same `--secret-file` (32 bytes or more, e.g. `head -c 32 /dev/urandom`).
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { DeltaSqlError } from '../../common/errors';
import { openCatalog } from '../../catalog/open';
import { loadShares } from '../../sharing/config';
import { buildSharingServer } from '../../sharing/server';
import { parseNonNegativeInt, runAction } from '../output';

interface ServeOptions {
  catalog: string;
  shares: string;
  host: string;
  port: number;
  basePath: string;
  urlTtl: number;
  responseCacheMb: number;
  answerDir?: string;
  answerDirMb: number;
  secretFile?: string;
}

function readSecret(file: string): Buffer {
  const b = fs.readFileSync(file);
  if (b.length < 32)
    throw new DeltaSqlError('InvalidArgument', `--secret-file ${file} holds fewer than 32 bytes`);
  return b;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve catalog tables over the Delta Sharing protocol')
    .requiredOption('--catalog <url>', 'catalog URL (postgresql://… or sqlite:///…)')
    .requiredOption('--shares <file>', 'shares file (YAML: shares, schemas, tables, token hashes)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on', parseNonNegativeInt('--port'), 8080)
    .option('--base-path <path>', 'URL prefix of every endpoint', '/delta-sharing')
    .option('--url-ttl <seconds>', 'lifetime of signed file URLs', parseNonNegativeInt('--url-ttl'), 900)
    .option(
      '--response-cache-mb <n>',
      'memory for query answers re-used within min(60 s, ttl/4) of signing (0: off)',
      parseNonNegativeInt('--response-cache-mb'),
      256,
    )
    .option('--answer-dir <dir>', 'keep parquet-format query answers in this directory and re-sign them')
    .option(
      '--answer-dir-mb <n>',
      'disk budget of --answer-dir',
      parseNonNegativeInt('--answer-dir-mb'),
      4096,
    )
    .option('--secret-file <file>', 'key for signed URLs and page tokens (default: random per process)')
    .action((opts: ServeOptions) =>
      runAction(false, async () => {
        const shares = loadShares(opts.shares);
        const store = await openCatalog(opts.catalog);
        const app = await buildSharingServer({
          store,
          shares,
          basePath: opts.basePath,
          urlTtlSeconds: opts.urlTtl,
          responseCacheBytes: opts.responseCacheMb * 2 ** 20,
          answerDir: opts.answerDir,
          answerDirBytes: opts.answerDirMb * 2 ** 20,
          secret: opts.secretFile === undefined ? undefined : readSecret(opts.secretFile),
          accessLog: (e) =>
            process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n'),
        });
        const url = await app.listen({ host: opts.host, port: opts.port });
        process.stdout.write(`serving Delta Sharing at ${url}${opts.basePath.replace(/\/+$/, '')}\n`);
        await new Promise<void>((resolve) => {
          const stop = (): void => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await app.close();
        await store.close();
      }),
    );
}
