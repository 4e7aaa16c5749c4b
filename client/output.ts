/**
 * How every command reports results and failures, so exit codes and error shapes are uniform:
 * success prints to stdout; failure exits 1 (or the code the command chose) and prints
 * `{"error": {"type", "message"}}` on stdout with --json, else one line on stderr.
 */
import type { z } from 'zod';
import { DeltaSqlError, errorPayload } from '../common/errors';

export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export async function runAction(json: boolean, fn: () => Promise<number | void>): Promise<void> {
  try {
    const code = await fn();
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof ExitCode) {
      process.exitCode = e.code;
      return;
    }
    const err = errorPayload(e);
    if (json) printJson({ error: err });
    else process.stderr.write(`error: ${err.type}: ${err.message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}

/** Parse a non-negative integer CLI option, or throw InvalidArgument. */
export function parseNonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

/** Options read by commander, checked with zod: the first problems become one InvalidArgument. */
export function parseOptions<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new DeltaSqlError(
      'InvalidArgument',
      parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '),
    );
  return parsed.data;
}
