/**
 * The parity check users run by hand: `deltasql snapshot --catalog … --table … --json` must print
 * byte-for-byte the same JSON as `deltasql snapshot <table-uri> --json`, at any version.
 */
import { openCatalog } from '../../catalog/open';
import { fixture } from '../support/env';
import { runCli } from '../support/run-cli';
import { dropPgSchema, loadHistory, pgUrl, sqliteUrl, tempDir, uniqueSchema } from './helpers';

const FIXTURES = [
  'delta-rs/table-with-dv-small',
  'golden/data-reader-escaped-chars',
  'delta-rs/checkpoint-v2-table',
];
const schema = uniqueSchema('snapcli');

afterAll(() => dropPgSchema(schema));

describe.each([
  ['sqlite', () => sqliteUrl(tempDir())],
  ['postgres', () => pgUrl(schema)],
])('%s', (_engine, url) => {
  test.each(FIXTURES)('%s: catalog snapshot JSON equals log snapshot JSON at every version', async (rel) => {
    const catalog = url();
    const h = await loadHistory(fixture(rel));
    const store = await openCatalog(catalog);
    const name = `cli:${rel}`;
    try {
      const t = await store.ensureTable({ location: fixture(rel), name });
      await store.writeVersions(t.tableId, h.commits);
    } finally {
      await store.close();
    }
    for (let v = 0; v <= h.latest; v++) {
      for (const extra of [[], ['--no-files']]) {
        const fromLog = await runCli(['snapshot', fixture(rel), '--version', String(v), '--json', ...extra]);
        const fromSql = await runCli([
          'snapshot',
          '--catalog',
          catalog,
          '--table',
          name,
          '--version',
          String(v),
          '--json',
          ...extra,
        ]);
        expect(fromLog.code).toBe(0);
        expect(fromSql.code).toBe(0);
        expect(fromSql.stdout).toBe(fromLog.stdout);
      }
    }
  });

  test('unknown table: exit 1 with a typed JSON error', async () => {
    const r = await runCli(['snapshot', '--catalog', url(), '--table', 'nope', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.type).toBe('CatalogTableNotFound');
  });
});
