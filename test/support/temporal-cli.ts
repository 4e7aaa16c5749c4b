/** What the `temporal` CLI shows of the dev server (test/security: no secret in any payload). */
import { execFileSync } from 'node:child_process';
import { TEMPORAL_ADDRESS } from './env';

const BIN = process.env.TEMPORAL_BIN ?? 'temporal';

/**
 * `temporal … --output json`, with every payload's base64 data decoded and appended, so a secret
 * inside a payload (input, result, memo, heartbeat, failure details) cannot hide in base64.
 */
export function temporalDecoded(...args: string[]): string {
  const out = execFileSync(BIN, [...args, '--address', TEMPORAL_ADDRESS, '--output', 'json'], {
    encoding: 'utf8',
  });
  const decoded: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (typeof x === 'string' && (k === 'data' || k === 'encoding'))
          decoded.push(Buffer.from(x, 'base64').toString('utf8'));
        else walk(x);
      }
    }
  };
  for (const line of out.split('\n').filter((l) => l.trim().startsWith('{') || l.trim().startsWith('[')))
    try {
      walk(JSON.parse(line));
    } catch {
      /* multi-line JSON: parsed whole below */
    }
  try {
    walk(JSON.parse(out));
  } catch {
    /* one JSON document per line: parsed above */
  }
  return [out, ...decoded].join('\n');
}
