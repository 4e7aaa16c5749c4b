/** Catalog URL parsing, redaction and connection failures. */
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import { parseCatalogUrl, redactUrl } from '../../catalog/url';
import { tempDir } from './helpers';

describe('parseCatalogUrl', () => {
  test('postgresql:// and postgres:// with schema', () => {
    expect(parseCatalogUrl('postgresql://u:p%40ss@db.example:6543/cat?schema=my%20schema')).toEqual({
      engine: 'postgres',
      connection: { host: 'db.example', port: 6543, user: 'u', password: 'p@ss', database: 'cat' },
      schema: 'my schema',
      redacted: 'postgresql://u:***@db.example:6543/cat?schema=my%20schema',
    });
    const p = parseCatalogUrl('postgres://u@h/d');
    expect(p).toMatchObject({
      engine: 'postgres',
      schema: 'public',
      connection: { host: 'h', port: 5432, user: 'u', database: 'd' },
    });
  });

  test('sqlite:/// paths follow the SQLAlchemy convention', () => {
    expect(parseCatalogUrl('sqlite:///./deltasql.db')).toMatchObject({
      engine: 'sqlite',
      path: './deltasql.db',
    });
    expect(parseCatalogUrl('sqlite:///rel/dir/x.db')).toMatchObject({
      engine: 'sqlite',
      path: 'rel/dir/x.db',
    });
    expect(parseCatalogUrl('sqlite:////abs/path.db')).toMatchObject({
      engine: 'sqlite',
      path: '/abs/path.db',
    });
    expect(parseCatalogUrl('sqlite:///:memory:')).toMatchObject({ engine: 'sqlite', path: ':memory:' });
  });

  test('deltasql://postgres/<db>/<schema>/<table> uses PG* env defaults', () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      PGHOST: 'pg.internal',
      PGPORT: '5433',
      PGUSER: 'imp',
      PGPASSWORD: 'envsecret',
    });
    try {
      expect(parseCatalogUrl('deltasql://postgres/mydb/public/sales')).toEqual({
        engine: 'postgres',
        connection: { host: 'pg.internal', port: 5433, user: 'imp', password: 'envsecret', database: 'mydb' },
        schema: 'public',
        table: 'sales',
        redacted: 'deltasql://postgres/mydb/public/sales',
      });
      const q = parseCatalogUrl('deltasql://postgres/db2?host=h2&port=1&user=x&password=qs&sslmode=require');
      expect(q).toMatchObject({
        connection: { host: 'h2', port: 1, user: 'x', password: 'qs', sslmode: 'require' },
        schema: 'public',
      });
      expect(q.redacted).toBe('deltasql://postgres/db2?host=h2&port=1&user=x&password=***&sslmode=require');
    } finally {
      process.env = saved;
    }
  });

  test.each([
    'mysql://a/b',
    'sqlite://relative.db',
    'sqlite:///',
    'postgresql://u:topsecret@h:99999/d',
    'deltasql://mysql/db',
    'deltasql://postgres/a/b/c/d',
    '',
  ])('rejects %j with InvalidUri, never echoing the password', (url) => {
    let err: unknown;
    try {
      parseCatalogUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ type: 'InvalidUri' });
    expect((err as Error).message).not.toContain('topsecret');
  });

  test('redactUrl', () => {
    expect(redactUrl('postgresql://a:b@c/d')).toBe('postgresql://a:***@c/d');
    expect(redactUrl('postgresql://a@c/d')).toBe('postgresql://a@c/d');
  });
});

describe('openCatalog failures', () => {
  test('unreachable Postgres is CatalogUnavailable with the password redacted', async () => {
    const err = await openCatalog('postgresql://deltasql:hunter2pw@127.0.0.1:1/deltasql_test').catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ type: 'CatalogUnavailable' });
    expect((err as Error).message).toContain('postgresql://deltasql:***@127.0.0.1:1/deltasql_test');
    expect((err as Error).message).not.toContain('hunter2pw');
  });

  test('SQLite file in a missing directory is CatalogMisconfigured (never retried)', async () => {
    const url = `sqlite:///${path.join(tempDir(), 'no', 'such', 'dir', 'c.db')}`;
    await expect(openCatalog(url)).rejects.toMatchObject({ type: 'CatalogMisconfigured' });
  });

  test('a relative sqlite:///./x.db is created relative to the cwd', async () => {
    const dir = tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const s = await openCatalog('sqlite:///./rel.db');
      await s.close();
      expect(require('node:fs').existsSync(path.join(dir, 'rel.db'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });
});
