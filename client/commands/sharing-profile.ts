/**
 * `deltasql sharing profile --endpoint URL --token-file F [--output FILE] [--expiration-time T]`:
 * write the Delta Sharing profile file a client needs (PROTOCOL.md, "Profile File Format"). The
 * token is read from a file so it never appears in the shell history or the process list; the
 * profile is written with mode 0600. `sharing hash --token-file F` prints the SHA-256 the shares
 * file stores instead of the token.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { DeltaSqlError } from '../../common/errors';
import { sha256Hex } from '../../sharing/config';
import { runAction } from '../output';

function readToken(file: string): string {
  let t: string;
  try {
    t = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new DeltaSqlError('InvalidArgument', `cannot read token file ${file}: ${(e as Error).message}`);
  }
  if (!/^\S{16,}$/.test(t))
    throw new DeltaSqlError('InvalidArgument', `token file ${file} must hold one token of 16+ characters`);
  return t;
}

export function register(program: Command): void {
  const sharing = program.command('sharing').description('Delta Sharing helpers');
  sharing
    .command('profile')
    .description('Write a Delta Sharing client profile')
    .requiredOption('--endpoint <url>', 'server URL including the base path, e.g. https://host/delta-sharing')
    .requiredOption('--token-file <file>', 'file holding the bearer token')
    .option('--output <file>', 'profile file to write (default: stdout)')
    .option('--expiration-time <iso>', 'token expiry to record in the profile (ISO 8601)')
    .action((opts: { endpoint: string; tokenFile: string; output?: string; expirationTime?: string }) =>
      runAction(false, async () => {
        let endpoint: URL;
        try {
          endpoint = new URL(opts.endpoint);
        } catch {
          throw new DeltaSqlError('InvalidArgument', `--endpoint "${opts.endpoint}" is not a URL`);
        }
        if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:')
          throw new DeltaSqlError('InvalidArgument', '--endpoint must be an http(s) URL');
        if (opts.expirationTime !== undefined && Number.isNaN(Date.parse(opts.expirationTime)))
          throw new DeltaSqlError(
            'InvalidArgument',
            `--expiration-time "${opts.expirationTime}" is not a time`,
          );
        const profile = {
          shareCredentialsVersion: 1,
          endpoint: opts.endpoint.replace(/\/+$/, ''),
          bearerToken: readToken(opts.tokenFile),
          ...(opts.expirationTime ? { expirationTime: new Date(opts.expirationTime).toISOString() } : {}),
        };
        const text = JSON.stringify(profile, null, 2) + '\n';
        if (opts.output) fs.writeFileSync(opts.output, text, { mode: 0o600 });
        else process.stdout.write(text);
      }),
    );
  sharing
    .command('hash')
    .description('Print the SHA-256 of a token, for the hashSha256 field of the shares file')
    .requiredOption('--token-file <file>', 'file holding the bearer token')
    .action((opts: { tokenFile: string }) =>
      runAction(false, async () => {
        process.stdout.write(sha256Hex(readToken(opts.tokenFile)) + '\n');
      }),
    );
}
