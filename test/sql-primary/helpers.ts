/** Shared pieces of the SQL-primary suites: parquet inputs made by pyarrow, and delta-rs as the judge. */
import * as path from 'node:path';
import type { CatalogStore } from '../../catalog/store';
import { DeltaTable } from '../../delta/table';
import { runPython } from '../support/python';

export interface ParquetInput {
  path: string;
  /** The ids pyarrow reads back from the file. */
  ids: number[];
}

/** Write `n` small parquet files with pyarrow (file i holds ids i*100 .. i*100+rows-1). */
export async function makeParquetFiles(
  dir: string,
  n: number,
  rows = 5,
  prefix = 'f',
  idOnly = false,
): Promise<ParquetInput[]> {
  const script = `
import json, sys, os, pyarrow as pa, pyarrow.parquet as pq
a = json.load(sys.stdin)
os.makedirs(a['dir'], exist_ok=True)
out = []
for i in range(a['n']):
    ids = list(range(i * 100, i * 100 + a['rows']))
    cols = {'id': pa.array(ids, pa.int64())}
    if not a['idOnly']:
        cols.update({'name': [f'n{x}' for x in ids], 'score': [x / 2 for x in ids]})
    t = pa.table(cols)
    p = os.path.join(a['dir'], f"{a['prefix']}{i:03d}.parquet")
    pq.write_table(t, p)
    out.append({'path': p, 'ids': pq.read_table(p).column('id').to_pylist()})
print(json.dumps(out))
`;
  return runPython<ParquetInput[]>(script, { dir: path.resolve(dir), n, rows, prefix, idOnly });
}

export const SCHEMA = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'score', type: 'double', nullable: true, metadata: {} },
  ],
};

export interface DeltaRsVersion {
  version: number;
  files: string[];
  sizes: Record<string, number>;
  schema: string;
  protocol: [number, number];
  ids: number[];
}

/** delta-rs at each version: file list, sizes, schema, protocol and the sorted ids it reads. */
export function deltaRsVersions(
  location: string,
  versions: readonly number[],
  storage: Record<string, string> = {},
): Promise<DeltaRsVersion[]> {
  const script = `
import json, sys
from deltalake import DeltaTable
import pyarrow as pa
a = json.load(sys.stdin)
out = []
for v in a['versions']:
    t = DeltaTable(a['loc'], version=v, storage_options=a['storage'] or None)
    adds = pa.table(t.get_add_actions(flatten=True)).to_pylist()
    p = t.protocol()
    ids = sorted(t.to_pyarrow_table(columns=['id']).column('id').to_pylist()) if adds else []
    out.append({'version': t.version(), 'files': sorted(r['path'] for r in adds),
                'sizes': {r['path']: r['size_bytes'] for r in adds},
                'schema': t.schema().to_json(), 'protocol': [p.min_reader_version, p.min_writer_version], 'ids': ids})
print(json.dumps(out), flush=True)
# delta-rs's object-store threads can abort the interpreter's teardown ("terminate called without an
# active exception") after the result is out: skip the teardown.
import os
os._exit(0)
`;
  return runPython<DeltaRsVersion[]>(script, { loc: location, versions, storage });
}

/**
 * The catalog and our own log reader agree at every version from `from` on (what `deltasql diff`
 * checks). Timestamps are left out: without in-commit timestamps a published version's timestamp
 * is its file's mtime, which is later than the SQL commit time by the publish lag.
 */
export async function expectSameStateAtEveryVersion(
  store: CatalogStore,
  table: string,
  location: string,
  from = 0,
): Promise<number> {
  const row = await store.tableMode(table);
  const log = await DeltaTable.open(location);
  let n = 0;
  for (let v = from; v <= (row.lastVersion ?? -1); v++) {
    const [sql, fromLog] = await Promise.all([
      store.snapshot(row.tableId, { version: v, includeFiles: true }),
      log.snapshot({ version: v }, { includeFiles: true }),
    ]);
    expect({ v, snapshot: { ...sql, timestamp: 0 } }).toEqual({ v, snapshot: { ...fromLog, timestamp: 0 } });
    n++;
  }
  return n;
}
