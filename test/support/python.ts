/**
 * Run a Python script in the project venv (where the independent readers live: deltalake,
 * pyarrow, delta-sharing, pyiceberg) with a JSON document on stdin, and parse the JSON it prints
 * last on stdout. One process per batch of checks keeps interpreter start-up out of the loop.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export const VENV_PYTHON = path.resolve(__dirname, '../../.venv/bin/python');

/**
 * Appended to every script: leave without running native destructors, because delta-rs's runtime
 * threads can abort the interpreter at shutdown ("terminate called without an active exception",
 * SIGABRT) after the result is already printed. A script that raised never gets here.
 */
const EXIT_WITHOUT_DESTRUCTORS =
  '\nimport os as _os, sys as _sys\n_sys.stdout.flush()\n_sys.stderr.flush()\n_os._exit(0)\n';

export function runPython<T = unknown>(script: string, input: unknown, timeoutMs = 300_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      VENV_PYTHON,
      ['-c', script + EXIT_WITHOUT_DESTRUCTORS],
      { timeout: timeoutMs, maxBuffer: 256 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`python failed: ${err.message}\n${stderr.slice(-4000)}`));
          return;
        }
        const lines = stdout.trim().split('\n');
        try {
          resolve(JSON.parse(lines[lines.length - 1]) as T);
        } catch {
          reject(new Error(`python printed no JSON result:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
        }
      },
    );
    child.stdin?.end(JSON.stringify(input));
  });
}
