/**
 * Small measurement helpers shared by the benchmark scenarios: wall-clock timing, medians, peak
 * RSS from /proc, and the machine description recorded next to every result so numbers from
 * different machines are never compared by accident.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Seconds taken by `fn`, and its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

/** A memory figure of a live process's /proc status (VmHWM: peak RSS, VmRSS: RSS now), in MB; null when gone. */
export function procStatusMB(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(
      fs.readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return m ? round(Number(m[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

/** Peak resident set size (VmHWM) of a live process, in MB; null when /proc has no entry. */
export const peakRssMB = (pid: number): number | null => procStatusMB(pid, 'VmHWM');

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGB: number;
  platform: string;
  node: string;
  postgres: string | null;
  deltaRs: string | null;
}

function commandOutput(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(python: string, pgServerVersion: string | null): MachineInfo {
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: round(os.totalmem() / 1024 ** 3, 1),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: pgServerVersion,
    deltaRs: commandOutput(python, ['-c', 'import deltalake; print(deltalake.__version__)']),
  };
}
