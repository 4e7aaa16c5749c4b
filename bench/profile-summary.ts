/**
 * Condense V8 CPU profiles (`node --cpu-prof`, written by the worker on exit) into the few lines
 * a human needs: self time per function and per source file, so "where does the import spend its
 * time" is answered with numbers rather than a flame graph.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { round } from './measure';

const ProfileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

export interface ProfileSummary {
  file: string;
  totalSeconds: number;
  idleSeconds: number;
  topFunctions: { name: string; seconds: number; percentOfBusy: number }[];
  topFiles: { file: string; seconds: number; percentOfBusy: number }[];
}

const TOP = 20;

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) return p.slice(nm + 'node_modules/'.length);
  const dist = p.indexOf('/dist/');
  return dist >= 0 ? p.slice(dist + '/dist/'.length) : p;
}

export function summarizeProfile(file: string): ProfileSummary {
  const prof = ProfileSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  const byId = new Map(prof.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<number, number>();
  prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id);
    if (!cf) continue;
    total += us;
    if (cf.functionName === '(idle)' || cf.functionName === '(program)') {
      idle += us;
      continue;
    }
    const f = shortUrl(cf.url);
    const name = `${cf.functionName || '(anonymous)'} ${f}:${cf.lineNumber + 1}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    files.set(f, (files.get(f) ?? 0) + us);
  }
  const busy = Math.max(1, total - idle);
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  return {
    file,
    totalSeconds: round(total / 1e6, 2),
    idleSeconds: round(idle / 1e6, 2),
    topFunctions: top(fns).map(([name, us]) => ({
      name,
      seconds: round(us / 1e6, 2),
      percentOfBusy: round((100 * us) / busy, 1),
    })),
    topFiles: top(files).map(([f, us]) => ({
      file: f,
      seconds: round(us / 1e6, 2),
      percentOfBusy: round((100 * us) / busy, 1),
    })),
  };
}

/** Summaries of every .cpuprofile under `dir` (one per worker process). */
export function summarizeProfiles(dir: string): ProfileSummary[] {
  if (!fs.existsSync(dir)) return [];
  const out: ProfileSummary[] = [];
  for (const sub of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (sub.endsWith('.cpuprofile')) out.push(summarizeProfile(path.join(dir, sub)));
  }
  return out;
}
