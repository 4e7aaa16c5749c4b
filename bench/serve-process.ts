/**
 * The sharing server as a separate process (`node bin/deltasql.js serve`), exactly as deployed, so
 * the benchmark's HTTP clients and the server do not share one event loop (a sharing server and its
 * clients never run in one process), and the server's own RSS can be read while it streams. Also
 * the floor server beside it (bench/http-floor.ts). Both are one `launch`: a node script that
 * prints the port it listens on.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { procStatusMB } from './measure';

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

/**
 * Starts `node script args…` and resolves once its stdout matches `ready` (group 1: the port, or
 * a URL holding it). Its stderr (the serve access log, one line a request) is kept only as far as
 * an error message needs.
 */
async function launch(what: string, script: string, args: string[], ready: RegExp): Promise<ServeProcess> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${what}`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < STDERR_KEEP) stderr += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} not up after ${READY_TIMEOUT_MS} ms: ${stderr}`)),
      READY_TIMEOUT_MS,
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(/^\d+$/.test(m[1]) ? Number(m[1]) : Number(new URL(m[1]).port));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before listening: ${stderr}`));
    });
  });
  return {
    pid,
    port,
    rssMB: () => procStatusMB(pid, 'VmRSS'),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `deltasql serve` on a free port of 127.0.0.1; `args` are extra serve flags. */
export function startServe(opts: {
  root: string;
  catalogUrl: string;
  sharesFile: string;
  basePath: string;
  args: string[];
}): Promise<ServeProcess> {
  return launch(
    'deltasql serve',
    path.join(opts.root, 'bin', 'deltasql.js'),
    ['serve', '--catalog', opts.catalogUrl, '--shares', opts.sharesFile, '--port', '0'].concat(
      ['--base-path', opts.basePath],
      opts.args,
    ),
    /serving Delta Sharing at (http:\/\/\S+)/,
  );
}

/** The bare floor server (bench/http-floor.ts) answering `lines` lines of `bytes` bytes in all. */
export function startFloor(root: string, lines: number, bytes: number): Promise<ServeProcess> {
  return launch(
    'floor server',
    path.join(root, 'dist', 'bench', 'http-floor.js'),
    [String(lines), String(bytes)],
    /port (\d+)/,
  );
}
