/**
 * Human rendering of a parity result: one ✓/✗ line per check, then the named files that differ,
 * so the output can be pasted into an incident ticket as-is (seed 002, rollback step 1).
 */
import type { ParityResult } from './compare';
import type { Check, ChangedFile, FileListing, FileRef } from './diff-engine';

const mark = (ok: boolean | null): string => (ok === null ? '-' : ok ? '✓' : '✗');

const short = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? 'null' : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

const fileName = (f: { path: string; deletionVectorId: string | null }): string =>
  f.deletionVectorId === null ? f.path : `${f.path} [dv ${f.deletionVectorId}]`;

function listing<T>(title: string, l: FileListing<T>, line: (t: T) => string): string[] {
  if (l.count === 0) return [];
  const out = [`  ${title} (${l.count}):`, ...l.listed.map((t) => `    - ${line(t)}`)];
  if (l.count > l.listed.length) out.push(`    … and ${l.count - l.listed.length} more`);
  return out;
}

function checkLine(c: Check): string {
  const values = c.ok === false ? ` (source: ${short(c.source)}, catalog: ${short(c.catalog)})` : '';
  return `  ${mark(c.ok)} ${c.name}: ${c.detail}${c.name === 'schema' || c.name === 'configuration' ? '' : values}`;
}

export function renderHuman(r: ParityResult): string {
  const lines: string[] = [];
  lines.push(`Parity report for ${r.table.name} (${r.table.tableId})`);
  lines.push(`  location: ${r.table.location}`);
  lines.push(`  compared at version ${r.comparedVersion}`);
  lines.push('');
  for (const c of r.report.checks) lines.push(checkLine(c));
  const f = r.report.files;
  if (f !== null) {
    lines.push(
      ...listing(
        'missing in catalog',
        f.missingInCatalog,
        (x: FileRef) => `${fileName(x)} (${x.size} bytes)`,
      ),
    );
    lines.push(
      ...listing('extra in catalog', f.extraInCatalog, (x: FileRef) => `${fileName(x)} (${x.size} bytes)`),
    );
    lines.push(
      ...listing(
        'changed',
        f.changed,
        (x: ChangedFile) =>
          `${fileName(x)}: ${x.fields.map((d) => `${d.field} ${short(d.source)} -> ${short(d.catalog)}`).join('; ')}`,
      ),
    );
  }
  if (r.versions !== null) {
    const bad = r.versions.filter((v) => !v.ok);
    lines.push(
      `  ${mark(bad.length === 0)} all versions: ${r.versions.length} compared, ${bad.length} drifting` +
        (r.skippedVersions > 0
          ? `, ${r.skippedVersions} skipped (no longer reconstructable from the log)`
          : ''),
    );
    for (const v of bad.slice(0, 20))
      lines.push(`    - v${v.version}: ${v.failedChecks.join(', ')} (${v.driftFiles} drift files)`);
  }
  if (r.foreignCommit !== null)
    lines.push(
      `  ✗ foreign commit: ${r.foreignCommit.file} (version ${r.foreignCommit.version}) was not written by the publisher; ` +
        'another writer is committing to the log of this sql-primary table (nothing was overwritten)',
    );
  const l = r.lag;
  const lagOk = !l.breached && l.versionDelta >= 0;
  lines.push(
    `  ${mark(lagOk)} lag: ${l.lagSeconds.toFixed(3)}s, source v${l.sourceLatestVersion}, catalog v${l.catalogLatestVersion}` +
      ` (delta ${l.versionDelta})` +
      (l.thresholdSeconds === null ? ', no threshold' : `, threshold ${l.thresholdSeconds}s`) +
      (l.versionDelta < 0 ? ' — catalog is ahead of the log' : ''),
  );
  lines.push('');
  const drift = `drift files ${r.report.driftFiles} (tolerated ${r.maxDriftFiles})`;
  if (r.status === 'parity') lines.push(`✓ PARITY — ${drift}`);
  else if (r.status === 'lag') lines.push(`✗ LAG SLO BREACHED — files and metadata agree; ${drift}`);
  else lines.push(`✗ DRIFT — ${drift}`);
  return lines.join('\n') + '\n';
}
