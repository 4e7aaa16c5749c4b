/**
 * `deltasql diff` against real catalogs (SQLite file and a PostgreSQL schema) filled through the
 * catalog API from fixture commits, with drift injected directly in SQL.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { openCatalog } from '../../catalog/open';
import type { Commit } from '../../delta/actions';
import { DeltaTable } from '../../delta/table';
import { copyFixture, PG_URL } from '../support/env';
import { runCli } from '../support/run-cli';

const FIXTURE = 'delta-rs/cdf-table-with-cdc-and-dvs';
const MINUTE_MS = 60_000;
const PROM_LINE =
  /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?[0-9.eE+-]+|)$/;

interface Backend {
  name: string;
  url: string;
  /** Run one SQL statement with `?` placeholders against the catalog's dl_* tables (T = qualified prefix). */
  exec(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function sqliteBackend(dir: string): Promise<Backend> {
  const file = path.join(dir, 'catalog.db');
  const url = `sqlite:///${file}`;
  (await openCatalog(url)).close();
  return {
    name: 'sqlite',
    url,
    async exec(sql, params = []) {
      const db = new Database(file);
      try {
        const st = db.prepare(sql.replace(/\{T\}/g, ''));
        return st.reader ? (st.all(...params) as Record<string, unknown>[]) : (st.run(...params), []);
      } finally {
        db.close();
      }
    },
    async close() {},
  };
}

async function pgBackend(): Promise<Backend> {
  const schema = `parity_${process.pid}_${Date.now()}`;
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  return {
    name: 'postgres',
    url: `${PG_URL}?schema=${schema}`,
    async exec(sql, params = []) {
      let i = 0;
      const text = sql.replace(/\{T\}/g, `"${schema}".`).replace(/\?/g, () => `$${++i}`);
      return (await client.query(text, params)).rows as Record<string, unknown>[];
    },
    async close() {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

/** Give commit N the mtime base + N minutes, so non-ICT timestamps (and lag) are predictable. */
function stampCommits(dir: string, base: number): void {
  for (const f of fs.readdirSync(path.join(dir, '_delta_log'))) {
    const m = /^(\d{20})\.json$/.exec(f);
    if (m) {
      const t = new Date(base + Number(m[1]) * MINUTE_MS);
      fs.utimesSync(path.join(dir, '_delta_log', f), t, t);
    }
  }
}

async function importUpTo(url: string, dir: string, name: string, upTo: number): Promise<string> {
  const store = await openCatalog(url);
  try {
    const table = await DeltaTable.open(dir);
    const t = await store.ensureTable({ location: dir, name });
    const commits: Commit[] = [];
    for await (const c of table.commits(0, upTo)) commits.push(c);
    await store.writeVersions(t.tableId, commits);
    return t.tableId;
  } finally {
    await store.close();
  }
}

interface DiffJson {
  status: string;
  exitCode: number;
  comparedVersion: number;
  lag: { lagSeconds: number; versionDelta: number; breached: boolean };
  report: {
    driftFiles: number;
    checks: { name: string; ok: boolean | null }[];
    files: {
      missingInCatalog: { count: number; listed: { path: string }[] };
      extraInCatalog: { count: number; listed: { path: string }[] };
      changed: {
        count: number;
        listed: { path: string; fields: { field: string; source: unknown; catalog: unknown }[] }[];
      };
    };
  };
  versions: { version: number; ok: boolean }[] | null;
}

const failedChecks = (j: DiffJson): string[] =>
  j.report.checks.filter((c) => c.ok === false).map((c) => c.name);

describe.each(['sqlite', 'postgres'])('deltasql diff on %s', (kind) => {
  let tmp: string;
  let src: string;
  let backend: Backend;
  let latest: number;
  const name = 'sales';
  const base = Date.UTC(2025, 0, 1);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-diff-'));
    src = copyFixture(FIXTURE);
    stampCommits(src, base);
    latest = await (await DeltaTable.open(src)).latestVersion();
    backend = kind === 'sqlite' ? await sqliteBackend(tmp) : await pgBackend();
    await importUpTo(backend.url, src, name, latest);
  });
  afterAll(async () => {
    await backend.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(src, { recursive: true, force: true });
  });

  const diff = async (...extra: string[]) => {
    const r = await runCli([
      'diff',
      src,
      '--catalog',
      backend.url,
      '--table',
      name,
      '--format',
      'json',
      ...extra,
    ]);
    return { code: r.code, json: JSON.parse(r.stdout) as DiffJson, stderr: r.stderr };
  };

  test('parity at the latest version: exit 0, metrics parse as Prometheus text', async () => {
    const prom = path.join(tmp, `${kind}-ok.prom`);
    const { code, json } = await diff(
      '--lag-threshold-seconds',
      '0',
      '--metrics-format',
      'prometheus',
      '--metrics-output',
      prom,
    );
    expect(failedChecks(json)).toEqual([]);
    expect(json).toMatchObject({ status: 'parity', exitCode: 0, comparedVersion: latest });
    expect(json.lag).toMatchObject({ lagSeconds: 0, versionDelta: 0, breached: false });
    expect(code).toBe(0);
    const lines = fs.readFileSync(prom, 'utf8').split('\n');
    for (const l of lines) expect(l).toMatch(PROM_LINE);
    const samples = Object.fromEntries(
      lines
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('{')), Number(l.split(' ').pop())]),
    );
    expect(samples).toMatchObject({
      deltasql_drift_files: 0,
      deltasql_lag_seconds: 0,
      deltasql_version_delta: 0,
      deltasql_parity_ok: 1,
      deltasql_source_version: latest,
      deltasql_catalog_version: latest,
    });
    expect(lines).toContain('# TYPE deltasql_drift_files gauge');
    expect(lines.find((l) => l.startsWith('deltasql_drift_files{'))).toMatch(
      /^deltasql_drift_files\{table="sales",table_id="[^"]+"\} 0$/,
    );
  });

  test('--all-versions checks every imported version', async () => {
    const { code, json } = await diff('--all-versions');
    expect(code).toBe(0);
    expect(json.versions!.map((v) => v.version)).toEqual(Array.from({ length: latest + 1 }, (_, i) => i));
    expect(json.versions!.every((v) => v.ok)).toBe(true);
  });

  test('human output names every check', async () => {
    const r = await runCli(['diff', src, '--catalog', backend.url, '--table', name]);
    expect(r.code).toBe(0);
    for (const c of [
      'version',
      'numFiles',
      'sizeBytes',
      'files',
      'schema',
      'protocol',
      'txns',
      'domainMetadata',
    ])
      expect(r.stdout).toContain(`✓ ${c}:`);
    expect(r.stdout).toContain('✓ PARITY');
  });

  describe('lag', () => {
    const behind = 'sales_behind';
    beforeAll(async () => {
      await importUpTo(backend.url, src, behind, latest - 2);
    });
    test('catalog behind by 2 versions (2 minutes): lag alone is exit 3', async () => {
      const r = await runCli([
        'diff',
        src,
        '--catalog',
        backend.url,
        '--table',
        behind,
        '--format',
        'json',
        '--lag-threshold-seconds',
        '60',
      ]);
      const json = JSON.parse(r.stdout) as DiffJson;
      expect(failedChecks(json)).toEqual([]);
      expect(json.comparedVersion).toBe(latest - 2);
      expect(json.lag).toEqual(expect.objectContaining({ lagSeconds: 120, versionDelta: 2, breached: true }));
      expect(json.status).toBe('lag');
      expect(r.code).toBe(3);
    });
    test('within the threshold, or without one: exit 0', async () => {
      const a = await runCli([
        'diff',
        src,
        '--catalog',
        backend.url,
        '--table',
        behind,
        '--lag-threshold-seconds',
        '121',
      ]);
      expect(a.code).toBe(0);
      expect(a.stdout).toContain('lag: 120.000s');
      const b = await runCli(['diff', src, '--catalog', backend.url, '--table', behind]);
      expect(b.code).toBe(0);
    });
    test('JSON metrics carry lag and version delta', async () => {
      const out = path.join(tmp, `${kind}-lag.json`);
      await runCli([
        'diff',
        src,
        '--catalog',
        backend.url,
        '--table',
        behind,
        '--lag-threshold-seconds',
        '1',
        '--metrics-format',
        'json',
        '--metrics-output',
        out,
      ]);
      const m = JSON.parse(fs.readFileSync(out, 'utf8'));
      expect(m.labels.table).toBe(behind);
      expect(m.metrics).toMatchObject({
        deltasql_lag_seconds: 120,
        deltasql_version_delta: 2,
        deltasql_lag_slo_breached: 1,
        deltasql_parity_ok: 1,
      });
    });
  });

  describe('drift injected in SQL', () => {
    const drifted = 'sales_drift';
    let paths: { deleted: string; dvId: string; resized: string; extra: string; size: number };
    let tableId: string;

    beforeAll(async () => {
      tableId = await importUpTo(backend.url, src, drifted, latest);
      const snap = await (await DeltaTable.open(src)).snapshot({ version: latest }, { includeFiles: true });
      // The fixture's latest state: one file with a deletion vector, one without.
      const del = snap.files!.find((f) => f.deletionVector !== null)!;
      const res = snap.files!.find((f) => f.deletionVector === null)!;
      expect([del, res].every(Boolean)).toBe(true);
      const active = `table_id = ? AND path = ? AND removed_version IS NULL`;
      await backend.exec(`DELETE FROM {T}dl_add_files WHERE ${active}`, [tableId, del.path]);
      const row = (
        await backend.exec(`SELECT version, seq, raw FROM {T}dl_add_files WHERE ${active}`, [
          tableId,
          res.path,
        ])
      )[0];
      const raw = JSON.parse(String(row.raw));
      raw.add.size += 1;
      await backend.exec(
        `UPDATE {T}dl_add_files SET size = size + 1, raw = ? WHERE table_id = ? AND version = ? AND seq = ?`,
        [JSON.stringify(raw), tableId, row.version, row.seq],
      );
      raw.add.size -= 1;
      raw.add.path = 'extra-not-in-log.parquet';
      await backend.exec(
        `INSERT INTO {T}dl_add_files (table_id, version, seq, path, dv_id, size, modification_time, raw)
         VALUES (?, ?, ?, ?, '', ?, ?, ?)`,
        [tableId, latest, 900_000, raw.add.path, raw.add.size, raw.add.modificationTime, JSON.stringify(raw)],
      );
      const dv = del.deletionVector!;
      paths = {
        deleted: del.path,
        dvId: `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === null ? '' : `@${dv.offset}`}`,
        resized: res.path,
        extra: raw.add.path,
        size: res.size,
      };
    });

    test('a deleted row, a changed size and an extra row are named: exit 2', async () => {
      const prom = path.join(tmp, `${kind}-drift.prom`);
      const { code, json } = await diff('--table', drifted, '--metrics-output', prom);
      expect(code).toBe(2);
      expect(json.status).toBe('drift');
      expect(json.report.files.missingInCatalog.listed).toEqual([
        { path: paths.deleted, deletionVectorId: paths.dvId, size: expect.any(Number) },
      ]);
      expect(json.report.files.extraInCatalog.listed.map((f) => f.path)).toEqual([paths.extra]);
      expect(json.report.files.changed.listed).toEqual([
        {
          path: paths.resized,
          deletionVectorId: null,
          fields: [{ field: 'size', source: paths.size, catalog: paths.size + 1 }],
        },
      ]);
      expect(json.report.driftFiles).toBe(3);
      expect(failedChecks(json)).toEqual(['sizeBytes', 'files']);
      const text = fs.readFileSync(prom, 'utf8');
      for (const l of text.split('\n')) expect(l).toMatch(PROM_LINE);
      expect(text).toMatch(
        new RegExp(`^deltasql_drift_files\\{table="${drifted}",table_id="${tableId}"\\} 3$`, 'm'),
      );
      expect(text).toMatch(/^deltasql_parity_ok\{[^}]*\} 0$/m);
    });

    test('human output names the files; --max-drift-files 3 tolerates them', async () => {
      const r = await runCli(['diff', src, '--catalog', backend.url, '--table', drifted]);
      expect(r.code).toBe(2);
      expect(r.stdout).toContain(`missing in catalog (1):\n    - ${paths.deleted} [dv ${paths.dvId}]`);
      expect(r.stdout).toContain(`extra in catalog (1):\n    - ${paths.extra}`);
      expect(r.stdout).toContain(`${paths.resized}: size ${paths.size} -> ${paths.size + 1}`);
      expect(r.stdout).toContain('✗ DRIFT');
      expect((await diff('--table', drifted, '--max-drift-files', '3')).code).toBe(0);
      expect((await diff('--table', drifted, '--max-drift-files', '2')).code).toBe(2);
    });

    test('--json-output writes the same report', async () => {
      const out = path.join(tmp, `${kind}-report.json`);
      const r = await runCli([
        'diff',
        src,
        '--catalog',
        backend.url,
        '--table',
        drifted,
        '--json-output',
        out,
      ]);
      expect(r.code).toBe(2);
      const j = JSON.parse(fs.readFileSync(out, 'utf8')) as DiffJson;
      expect(j.report.driftFiles).toBe(3);
      expect(j.exitCode).toBe(2);
    });

    test('--all-versions reports the first drifting version', async () => {
      const { code, json } = await diff('--table', drifted, '--all-versions');
      expect(code).toBe(2);
      const bad = json.versions!.filter((v) => !v.ok).map((v) => v.version);
      expect(bad[bad.length - 1]).toBe(latest);
      expect(json.comparedVersion).toBe(bad[0]);
      expect(json.versions!.filter((v) => v.version < bad[0]).every((v) => v.ok)).toBe(true);
    });

    test('a protocol change in SQL is protocol drift', async () => {
      const rows = await backend.exec(
        `SELECT version, seq, raw FROM {T}dl_protocol_updates WHERE table_id = ? ORDER BY version DESC`,
        [tableId],
      );
      const raw = JSON.parse(String(rows[0].raw));
      raw.protocol.minWriterVersion += 1;
      await backend.exec(
        `UPDATE {T}dl_protocol_updates SET raw = ? WHERE table_id = ? AND version = ? AND seq = ?`,
        [JSON.stringify(raw), tableId, rows[0].version, rows[0].seq],
      );
      const { code, json } = await diff('--table', drifted, '--max-drift-files', '3');
      expect(code).toBe(2);
      expect(failedChecks(json)).toEqual(['sizeBytes', 'files', 'protocol']);
    });
  });

  test('a catalog ahead of the log (source lost its newest commit) is version drift: exit 2', async () => {
    const shrunk = copyFixture(FIXTURE);
    try {
      await importUpTo(backend.url, shrunk, 'ahead', latest);
      fs.rmSync(path.join(shrunk, '_delta_log', `${String(latest).padStart(20, '0')}.json`));
      fs.rmSync(path.join(shrunk, '_delta_log', `${String(latest).padStart(20, '0')}.crc`), { force: true });
      const r = await runCli([
        'diff',
        shrunk,
        '--catalog',
        backend.url,
        '--table',
        'ahead',
        '--format',
        'json',
      ]);
      const json = JSON.parse(r.stdout) as DiffJson;
      expect(json.lag.versionDelta).toBe(-1);
      expect(json.comparedVersion).toBe(latest - 1);
      expect(failedChecks(json)).toEqual([]);
      expect(json.status).toBe('drift');
      expect(r.code).toBe(2);
    } finally {
      fs.rmSync(shrunk, { recursive: true, force: true });
    }
  });

  test('errors exit 1: unknown table, unreachable catalog', async () => {
    const a = await diff('--table', 'nope');
    expect(a.code).toBe(1);
    expect(a.json).toEqual({
      error: { type: 'CatalogTableNotFound', message: 'no table "nope" in the catalog' },
    });
    const r = await runCli([
      'diff',
      src,
      '--catalog',
      'postgresql://x:secret@127.0.0.1:1/none',
      '--table',
      name,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: CatalogUnavailable: /);
    expect(r.stderr).not.toContain('secret');
  });
});
