/**
 * Password stripping is generic over URL schemes, and workers resolve what was stripped: named
 * catalogs from DELTASQL_CATALOGS (JSON or YAML), passwords kept by this process, or (a worker
 * process of its own) the engine's password variable in its environment.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCatalogName, stripPassword, urlPassword } from '../../catalog/url';
import {
  keepPasswordLocally,
  namedCatalogs,
  resolveCatalogRef,
  sendableInput,
  workerPasswordEnv,
} from '../../common/credentials';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-cred-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('stripPassword removes user:pass@ and ?password= for any scheme, and leaves the rest alone', () => {
  expect(stripPassword('postgresql://u:S3cret@h:5432/db?schema=s')).toBe('postgresql://u@h:5432/db?schema=s');
  expect(stripPassword('mysql://root:p%40ss@db:3306/meta')).toBe('mysql://root@db:3306/meta');
  expect(stripPassword('deltasql://postgres/db/s/t?user=u&password=x&host=h')).toBe(
    'deltasql://postgres/db/s/t?user=u&host=h',
  );
  // no password: byte for byte unchanged (WHATWG URL would drop the ./ of sqlite paths)
  for (const u of ['sqlite:///./deltasql.db', 'duckdb:///./a.duckdb', 'postgresql://u@h/db', 'prod'])
    expect(stripPassword(u)).toBe(u);
  expect(urlPassword('mysql://root:p%40ss@db/meta')).toBe('p@ss');
  expect(urlPassword('sqlite:///./x.db')).toBeNull();
});

test('catalog names are bare words; URLs are not names', () => {
  expect(isCatalogName('prod')).toBe(true);
  expect(isCatalogName('eu-west.1')).toBe(true);
  expect(isCatalogName('sqlite:///x.db')).toBe(false);
  expect(isCatalogName('./x.db')).toBe(false);
});

test('DELTASQL_CATALOGS: JSON or YAML, relative sqlite paths relative to the file; unknown names fail clearly', () => {
  const yaml = path.join(tmp, 'catalogs.yaml');
  fs.writeFileSync(yaml, 'prod: postgresql://u:pw@h/db\nlocal: sqlite:///./c.db\n');
  const json = path.join(tmp, 'catalogs.json');
  fs.writeFileSync(json, JSON.stringify({ prod: 'postgresql://u:pw2@h/db' }));
  expect(namedCatalogs({ DELTASQL_CATALOGS: yaml })).toEqual({
    prod: 'postgresql://u:pw@h/db',
    local: `sqlite:///${tmp}/c.db`,
  });
  expect(resolveCatalogRef('prod', { DELTASQL_CATALOGS: json })).toBe('postgresql://u:pw2@h/db');
  expect(() => resolveCatalogRef('nope', { DELTASQL_CATALOGS: json })).toThrow(
    expect.objectContaining({
      type: 'CatalogMisconfigured',
      message: expect.stringContaining('unknown catalog name "nope"'),
    }),
  );
  expect(() => resolveCatalogRef('prod', {})).toThrow(/DELTASQL_CATALOGS is not set/);
  fs.writeFileSync(path.join(tmp, 'bad.yaml'), '- a list\n');
  expect(() => namedCatalogs({ DELTASQL_CATALOGS: path.join(tmp, 'bad.yaml') })).toThrow(
    /must map catalog names to URLs/,
  );
});

test('a password kept locally is found again by its stripped URL, and only in this process', () => {
  const stripped = keepPasswordLocally('postgresql://u:local-pw@h:1/db');
  expect(stripped).toBe('postgresql://u@h:1/db');
  expect(resolveCatalogRef(stripped, {})).toBe('postgresql://u:local-pw@h:1/db');
  expect(resolveCatalogRef('postgresql://v@h:1/db', {})).toBe('postgresql://v@h:1/db');
});

test('sendableInput strips the catalog of a workflow input and keeps the password for this process', () => {
  const given = { catalog: 'postgresql://u:in-pw@h:2/db?schema=s', name: 't' };
  const sent = sendableInput(given);
  expect(sent).toEqual({ catalog: 'postgresql://u@h:2/db?schema=s', name: 't' });
  expect(given.catalog).toBe('postgresql://u:in-pw@h:2/db?schema=s'); // the caller's object is kept
  expect(resolveCatalogRef(sent.catalog, {})).toBe(given.catalog);
  const plain = { catalog: 'sqlite:///./x.db' };
  expect(sendableInput(plain)).toBe(plain);
});

test('workerPasswordEnv: the variable each engine reads for a stripped password; conflicts refused', () => {
  expect(
    workerPasswordEnv([
      'postgresql://u:p%40g@h/db?schema=a',
      'postgresql://u:p%40g@h/db?schema=b',
      'mysql://root:my-pw@h/meta',
      'sqlite:///./x.db',
      'postgresql://nopw@h/db',
      'prod',
    ]),
  ).toEqual({ PGPASSWORD: 'p@g', MYSQL_PWD: 'my-pw' });
  expect(workerPasswordEnv(['deltasql://postgres/db/s?user=u&password=q'])).toEqual({ PGPASSWORD: 'q' });
  const conflicting = ['postgresql://u:pw-alpha@h/db', 'postgresql://v:pw-beta@h/db'];
  expect(() => workerPasswordEnv(conflicting)).toThrow(
    expect.objectContaining({
      type: 'InvalidArgument',
      message: expect.stringContaining('DELTASQL_CATALOGS'),
    }),
  );
  expect(() => workerPasswordEnv(conflicting)).not.toThrow(/pw-alpha|pw-beta/); // never in the message
});
