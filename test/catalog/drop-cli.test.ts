/** `deltasql drop` end to end on a SQLite catalog: JSON output, exit codes, isolation. */
import { buildProgram } from '../../client/cli';
import { openCatalog } from '../../catalog/open';
import { fixture } from '../support/env';
import { loadHistory, sqliteUrl, tempDir } from './helpers';

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    process.exitCode = 0;
    await buildProgram()
      .exitOverride()
      .parseAsync(['node', 'deltasql', ...args]);
    return { code: Number(process.exitCode ?? 0), out };
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
    process.exitCode = 0;
  }
}

test('drop --json removes one table by name; unknown table exits 1 with CatalogTableNotFound', async () => {
  const url = sqliteUrl(tempDir());
  const root = fixture('delta-rs/simple_table');
  const h = await loadHistory(root);
  const store = await openCatalog(url);
  const keep = await store.ensureTable({ location: root, name: 'keep' });
  const gone = await store.ensureTable({ location: root, name: 'gone' });
  await store.writeVersions(keep.tableId, h.commits);
  await store.writeVersions(gone.tableId, h.commits);
  await store.close();

  const ok = await run(['drop', '--catalog', url, '--table', 'gone', '--json']);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.out)).toEqual({
    dropped: { tableId: gone.tableId, name: 'gone', location: root, lastVersion: h.latest },
  });

  const missing = await run(['drop', '--catalog', url, '--table', 'gone', '--json']);
  expect(missing.code).toBe(1);
  expect(JSON.parse(missing.out).error.type).toBe('CatalogTableNotFound');

  const after = await openCatalog(url);
  expect((await after.listTables()).map((t) => t.name)).toEqual(['keep']);
  expect((await after.snapshot(keep.tableId, { includeFiles: false })).version).toBe(h.latest);
  const n = await after.driver.query(`SELECT COUNT(*) AS n FROM {T:dl_add_files} WHERE table_id = ?`, [
    gone.tableId,
  ]);
  expect(Number(n[0].n)).toBe(0);
  await after.close();
});
