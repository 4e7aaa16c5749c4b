/**
 * `deltasql serve --catalog URL --shares shares.yaml [--host 127.0.0.1] [--port 8080]
 * [--base-path /delta-sharing] [--url-ttl 900] [--response-cache-mb 256]`: a Delta Sharing server over the catalog
 * (sharing/server.ts). Runs until SIGINT/SIGTERM; access log lines go to stderr as JSON.
 */
import type { Command } from 'commander';
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
