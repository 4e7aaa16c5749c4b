/**
 * `deltasql snapshot --files`: the paths of the data files valid at a version, one per line (a JSON
 * array with --json), from a catalog (`CatalogStore.files`) and from the log; both must print the
 * same bytes and equal the log snapshot's files. `--no-files` and the default are unchanged.
 */
import { openCatalog } from '../../catalog/open';
import { DeltaTable } from '../../delta/table';
import { fixture } from '../support/env';
import { runCli } from '../support/run-cli';
import { dropPgSchema, loadHistory, pgUrl, sqliteUrl, tempDir, uniqueSchema } from './helpers';

const REL = 'delta-rs/cdf-table-with-cdc-and-dvs';
const schema = uniqueSchema('filescli');

afterAll(() => dropPgSchema(schema));

describe.each([
  ['sqlite', () => sqliteUrl(tempDir())],
  ['postgres', () => pgUrl(schema)],
])('%s', (engine, mkUrl) => {
  const catalog = mkUrl();
  const name = `files-cli:${engine}`;
  /** `deltasql snapshot --catalog … --table … --files <args>` */
  const filesFromCatalog = (...args: string[]): ReturnType<typeof runCli> =>
    runCli(['snapshot', '--catalog', catalog, '--table', name, '--files', ...args]);
  beforeAll(async () => {
    const h = await loadHistory(fixture(REL));
    const store = await openCatalog(catalog);
    try {
      const t = await store.ensureTable({ location: fixture(REL), name });
      await store.writeVersions(t.tableId, h.commits);
    } finally {
      await store.close();
    }
  });

  test('--files prints the file paths at a version, same from the catalog and from the log', async () => {
    const dt = await DeltaTable.open(fixture(REL));
    for (const v of [0, 5, 12, 25]) {
      const want = ((await dt.snapshot({ version: v }, { includeFiles: true })).files ?? []).map(
        (f) => f.path,
      );
      const fromSql = await filesFromCatalog('--version', String(v));
      const fromLog = await runCli(['snapshot', fixture(REL), '--files', '--version', String(v)]);
      expect(fromSql.code).toBe(0);
      expect(fromSql.stdout).toBe(want.map((p) => `${p}\n`).join(''));
      expect(fromLog.stdout).toBe(fromSql.stdout);

      const json = await filesFromCatalog('--json', '--version', String(v));
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual(want);
    }
  });

  test('--files without --version is the latest; --no-files still prints the summary', async () => {
    const latest = await filesFromCatalog('--json');
    const at25 = await filesFromCatalog('--json', '--version', '25');
    expect(JSON.parse(latest.stdout)).toEqual(JSON.parse(at25.stdout));
    const lean = await runCli(['snapshot', '--catalog', catalog, '--table', name, '--no-files', '--json']);
    const full = await runCli(['snapshot', '--catalog', catalog, '--table', name, '--json']);
    expect(JSON.parse(lean.stdout).files).toBeUndefined();
    expect(JSON.parse(full.stdout).files.map((f: { path: string }) => f.path)).toEqual(
      JSON.parse(latest.stdout),
    );
  });

  test('--files beyond the latest version or on an unknown table: exit 1 with a typed JSON error', async () => {
    const beyond = await filesFromCatalog('--json', '--version', '26');
    expect(beyond.code).toBe(1);
    expect(JSON.parse(beyond.stdout).error.type).toBe('VersionNotFound');
    const unknown = await runCli(['snapshot', '--catalog', catalog, '--table', 'nope', '--files', '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.type).toBe('CatalogTableNotFound');
  });
});
