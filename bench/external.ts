/**
 * Benchmarks written by other parts of the project, run as child processes when they are built:
 * commit-parse throughput (bench/parse-throughput.ts) and follow-mode sync lag (bench/sync-lag.ts).
 * Each prints JSON on its last stdout line; a missing or failing one is recorded with its reason.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EXTERNAL_TIMEOUT_MS = 10 * 60_000;

export type ExternalResult =
  { ran: true; seconds: number; output: Record<string, unknown> } | { ran: false; reason: string };

export async function runExternal(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<ExternalResult> {
  if (!fs.existsSync(script))
    return { ran: false, reason: `${path.basename(script)} is not built (${script} missing)` };
  const t0 = Date.now();
  try {
    const { stdout } = await run(process.execPath, [script, ...args], {
      env: { ...process.env, ...env },
      timeout: EXTERNAL_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    const last = stdout.trim().split('\n').pop() ?? '';
    const parsed: unknown = JSON.parse(last);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { ran: false, reason: `${path.basename(script)} printed no JSON object: ${last.slice(0, 200)}` };
    }
    return { ran: true, seconds: (Date.now() - t0) / 1000, output: parsed as Record<string, unknown> };
  } catch (e) {
    const err = e as Error & { stderr?: string };
    const detail = (err.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    return {
      ran: false,
      reason: `${path.basename(script)} failed: ${err.message.split('\n')[0]} ${detail}`.trim(),
    };
  }
}

/** The p95 lag in seconds from a sync-lag report, whatever it calls the field. */
export function p95Seconds(output: Record<string, unknown>): number | null {
  for (const [k, v] of Object.entries(output)) {
    if (typeof v !== 'number' || !/p95/i.test(k)) continue;
    return /ms/i.test(k) ? v / 1000 : v;
  }
  return null;
}
