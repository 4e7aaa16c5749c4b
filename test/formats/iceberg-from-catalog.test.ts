/**
 * `deltasql convert TABLE --to iceberg --catalog URL --table NAME` takes its snapshots from the
 * SQL catalog, not the log: proved by importing a table into SQLite, then deleting the table's
 * `_delta_log`, and converting first at `--version 2`, then incrementally to the latest version.
 * pyiceberg reads every snapshot with the rows delta-rs reads from the original log at that
 * `delta-version`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixture } from '../support/env';
import { importInput, runImport } from '../support/import';
import { runPython } from '../support/python';
import { runCli } from '../support/run-cli';
import { integrationSuite } from '../support/suite';

const s = integrationSuite('iceberg-catalog');

const JUDGE = String.raw`
import json, sys
from deltalake import DeltaTable
from pyiceberg.table import StaticTable
a = json.load(sys.stdin)
def rows(df):
    cols = sorted(df.columns)
    return sorted(json.dumps([str(v) for v in r]) for r in df[cols].itertuples(index=False))
it = StaticTable.from_metadata(a["metadata"])
out = {}
for snap in it.metadata.snapshots:
    v = int(snap.summary["delta-version"])
    want = rows(DeltaTable(a["log"], version=v).to_pandas())
    out[str(v)] = {"same": rows(it.scan(snapshot_id=snap.snapshot_id).to_pandas()) == want, "rows": len(want)}
print(json.dumps(out))
`;

test('a table in the catalog converts from its SQL snapshots, first at a version, then incrementally', async () => {
  const original = fixture('delta-rs/simple_table');
  const table = path.join(s.tmp, 'simple');
  fs.cpSync(original, table, { recursive: true });
  const catalog = `sqlite:///${path.join(s.tmp, 'catalog.db')}`;
  const imported = await runImport(s.h, importInput(table, catalog, { name: 'simple' }));
  expect(imported.targetVersion).toBe(4);
  // From here on only the catalog knows the history.
  fs.rmSync(path.join(table, '_delta_log'), { recursive: true });

  const args = ['convert', table, '--to', 'iceberg', '--catalog', catalog, '--table', 'simple'];
  const first = await runCli([...args, '--version', '2', '--format', 'json']);
  expect(first.code).toBe(0);
  expect(JSON.parse(first.stdout).snapshots.map((x: { deltaVersion: number }) => x.deltaVersion)).toEqual([
    2,
  ]);
  const rest = await runCli([...args, '--format', 'json']);
  expect(rest.code).toBe(0);
  expect(JSON.parse(rest.stdout).snapshots.map((x: { deltaVersion: number }) => x.deltaVersion)).toEqual([
    3, 4,
  ]);

  const judged = await runPython<Record<string, { same: boolean; rows: number }>>(JUDGE, {
    metadata: path.join(table, 'metadata', 'v2.metadata.json'),
    log: original,
  });
  expect(Object.keys(judged).sort()).toEqual(['2', '3', '4']);
  for (const v of Object.values(judged)) expect(v.same).toBe(true);

  const unknown = await runCli([
    'convert',
    table,
    '--to',
    'iceberg',
    '--catalog',
    catalog,
    '--table',
    'nope',
    '--format',
    'json',
  ]);
  expect(unknown.code).toBe(1);
  expect(JSON.parse(unknown.stdout).error.type).toBe('CatalogTableNotFound');
});
