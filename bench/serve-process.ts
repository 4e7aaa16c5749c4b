/**
 * The sharing server as a separate process (`node bin/deltasql.js serve`), exactly as deployed, so
 * the benchmark's HTTP clients and the server do not share one event loop (a sharing server and its
 * clients never run in one process), and the server's own RSS can be read while it streams.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const READY_PATTERN = /serving Delta Sharing at (http:\/\/\S+)/;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const STDERR_KEEP = 4000;

export interface ServeProcess {
  pid: number;
  port: number;
  /** Resident set size now (VmRSS), in MB; null once the process is gone. */
  rssMB(): number | null;
  stop(): Promise<void>;
}

function vmRssMB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Starts `deltasql serve` on a free port of 127.0.0.1; `args` are extra serve flags. */
export async function startServe(opts: {
  root: string;
  catalogUrl: string;
  sharesFile: string;
  basePath: string;
  args: string[];
}): Promise<ServeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(opts.root, 'bin', 'deltasql.js'),
      'serve',
      '--catalog',
      opts.catalogUrl,
      '--shares',
      opts.sharesFile,
      '--port',
      '0',
      '--base-path',
      opts.basePath,
      ...opts.args,
    ],
    // The access log (stderr, one line per request) is read only until the server is up.
    { cwd: opts.root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start deltasql serve');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < STDERR_KEEP) stderr += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve not up after ${READY_TIMEOUT_MS} ms: ${stderr}`)),
      READY_TIMEOUT_MS,
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = READY_PATTERN.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(new URL(m[1]).port));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${stderr}`));
    });
  });
  return {
    pid,
    port,
    rssMB: () => vmRssMB(pid),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The bare floor server (bench/http-floor.ts) answering `lines` lines of `bytes` bytes in all. */
export async function startFloor(
  root: string,
  lines: number,
  bytes: number,
): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [path.join(root, 'dist', 'bench', 'http-floor.js'), String(lines), String(bytes)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('floor server not up')), READY_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      const m = /port (\d+)/.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then(() => reject(new Error('floor server exited before listening')));
  });
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
