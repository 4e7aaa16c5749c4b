/**
 * create + 20 appends through SQL, published by the one-shot publisher; delta-rs (the independent
 * reader) opens the published log at every version and must see exactly the SQL snapshot's files,
 * sizes, schema and protocol, and the rows pyarrow reads from the appended files. SQLite (files
 * referenced in place under the table root) and PostgreSQL (files uploaded with --copy).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog, type Catalog } from '../../api';
import { createTable } from '../../catalog/commit/create';
import { addActionsFor } from '../../catalog/commit/append';
import { publishPending } from '../../catalog/commit/publish';
import { openStore } from '../../storage/uri';
import { dropPgSchema, pgUrl, sqliteUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import {
  deltaRsVersions,
  expectSameStateAtEveryVersion,
  makeParquetFiles,
  SCHEMA,
  type ParquetInput,
} from './helpers';

jest.setTimeout(180_000);

const APPENDS = 20;
const pgSchema = uniqueSchema('sqlprim_ca');
afterAll(() => dropPgSchema(pgSchema));

async function run(url: string, inPlace: boolean): Promise<void> {
  const dir = tempDir('deltasql-sp-');
  const location = path.join(dir, 'events');
  fs.mkdirSync(location);
  const inputs: ParquetInput[] = await makeParquetFiles(
    inPlace ? path.join(location, 'data') : path.join(dir, 'src'),
    APPENDS,
  );
  const cat: Catalog = await openCatalog(url, { temporal: null });
  try {
    const objects = openStore(location);
    await createTable(cat.store.driver, objects, { name: 'events', location, schema: SCHEMA });
    const t = await cat.table('events');
    for (const [i, f] of inputs.entries()) {
      const actions = await addActionsFor(objects, location, [f.path], {
        copy: !inPlace,
        partitionColumns: [],
      });
      const r = await t.commit({ readVersion: i, actions, operation: 'WRITE' });
      expect(r.version).toBe(i + 1);
    }
    const pub = await publishPending(cat.store.driver, objects, 'events');
    expect(pub).toMatchObject({ publishedVersion: APPENDS, created: APPENDS + 1, alreadyPresent: 0 });
    expect(await t.state()).toMatchObject({
      mode: 'sql-primary',
      lastVersion: APPENDS,
      publishedVersion: APPENDS,
    });
    // Nothing left: a second run publishes nothing and rewrites nothing.
    expect(await publishPending(cat.store.driver, objects, 'events')).toMatchObject({
      created: 0,
      alreadyPresent: 0,
    });
    for (let v = 0; v <= APPENDS; v++) {
      const bytes = fs.readFileSync(path.join(location, '_delta_log', `${String(v).padStart(20, '0')}.json`));
      expect(bytes.equals((await cat.store.commitBytes('events', v)) as Buffer)).toBe(true);
    }
    const versions = Array.from({ length: APPENDS + 1 }, (_, v) => v);
    const rs = await deltaRsVersions(location, versions);
    const tableId = (await t.state()).tableId;
    for (const v of versions) {
      const snap = await cat.store.snapshot(tableId, { version: v, includeFiles: true });
      const files = (snap.files ?? []).map((f) => decodeURIComponent(f.path)).sort();
      expect({ v, files: rs[v].files }).toEqual({ v, files });
      expect(rs[v].sizes).toEqual(
        Object.fromEntries((snap.files ?? []).map((f) => [decodeURIComponent(f.path), f.size])),
      );
      expect(JSON.parse(rs[v].schema)).toEqual(JSON.parse(snap.metadata.schemaString));
      expect(rs[v].protocol).toEqual([snap.protocol.minReaderVersion, snap.protocol.minWriterVersion]);
      expect(rs[v].ids).toEqual(
        inputs
          .slice(0, v)
          .flatMap((f) => f.ids)
          .sort((a, b) => a - b),
      );
    }
    // Our own log reader agrees with the catalog at every version too (diff 0).
    expect(await expectSameStateAtEveryVersion(cat.store, tableId, location)).toBe(APPENDS + 1);
  } finally {
    await cat.close();
  }
}

test('sqlite: create + 20 appends of files under the root; delta-rs agrees at every version', () =>
  run(sqliteUrl(tempDir()), true));

test('postgres: create + 20 appends with --copy; delta-rs agrees at every version', () =>
  run(pgUrl(pgSchema), false));
