/**
 * One ObjectStore contract, four real backends: local disk, S3 (moto), GCS (fake-gcs-server) and
 * Azure Blob (Azurite). Every store must list in lexicographic order with prefix and startAfter
 * (across pages), read whole objects and byte ranges, report absence the same way, create an
 * object at most once under racing writers, and delete idempotently.
 */
import { StorageError, isNotFound } from '../../storage/storage-error';
import type { ObjectMeta, ObjectStore } from '../../storage/object-store';
import { ALL_KINDS, createBucket, removeLocalRoots, storeFor, unique, type StoreKind } from './stores';

// Spaces, percent signs, unicode (BMP: UTF-16 and UTF-8 orders agree there), nesting. No key is
// also a "folder" of another key: local disk cannot hold both.
const KEYS = [
  'a/100%.json',
  'a/b c.json',
  'a/b/inner.json',
  'a/bb',
  'a/x/y/z.json',
  'a/é.json',
  'a/日本.json',
  'ab',
  'b/other',
];
const sorted = (xs: string[]): string[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

async function collect(it: AsyncIterable<ObjectMeta>): Promise<ObjectMeta[]> {
  const out: ObjectMeta[] = [];
  for await (const m of it) out.push(m);
  return out;
}
const paths = async (it: AsyncIterable<ObjectMeta>): Promise<string[]> =>
  (await collect(it)).map((m) => m.path);

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

afterAll(() => removeLocalRoots());

describe.each(ALL_KINDS)('%s store', (kind: StoreKind) => {
  const bucket = unique(`conf-${kind}`);
  let store: ObjectStore;

  beforeAll(async () => {
    await createBucket(kind, bucket);
    // A page size of 3 makes every listing below span several pages.
    store = storeFor(kind, bucket, 'root/t', { pageSize: 3 });
    for (const k of KEYS) await store.put(k, `body of ${k}`);
    // Outside the store's root: never listed.
    await storeFor(kind, bucket, 'root').put('t-sibling', 'x');
  });

  test('list: prefix, lexicographic order, sizes, across pages', async () => {
    const all = await collect(store.list(''));
    expect(all.map((m) => m.path)).toEqual(sorted(KEYS));
    for (const m of all) {
      expect(m.size).toBe(Buffer.byteLength(`body of ${m.path}`));
      expect(Math.abs(m.lastModified - Date.now())).toBeLessThan(10 * 60_000);
    }
    expect(await paths(store.list('a/'))).toEqual(sorted(KEYS.filter((k) => k.startsWith('a/'))));
    expect(await paths(store.list('a/b'))).toEqual(['a/b c.json', 'a/b/inner.json', 'a/bb']);
    expect(await paths(store.list('nothing/'))).toEqual([]);
  });

  test('list: startAfter is exclusive, works for absent keys and across pages', async () => {
    const aKeys = sorted(KEYS.filter((k) => k.startsWith('a/')));
    for (const after of [
      'a/b',
      'a/b c.json',
      'a/b/',
      'a/b/inner.json',
      'a/c',
      'a/',
      'a/é.json',
      'a/日本.json',
      'a/zzz',
    ]) {
      expect([after, await paths(store.list('a/', { startAfter: after }))]).toEqual([
        after,
        aKeys.filter((k) => k > after),
      ]);
    }
    expect(await paths(store.list('', { startAfter: 'a/日本.json' }))).toEqual(['ab', 'b/other']);
  });

  test('get, head, getRange (inside, across the end, past the end, empty)', async () => {
    const range = (p: string, start: number, end: number): Promise<Buffer> => {
      if (!store.getRange) throw new Error(`${kind} store has no getRange`);
      return store.getRange(p, start, end);
    };
    const body = Buffer.from('body of a/b c.json');
    expect(await store.get('a/b c.json')).toEqual(body);
    expect((await store.get('a/日本.json')).toString()).toBe('body of a/日本.json');
    const h = await store.head('a/b c.json');
    expect(h && [h.path, h.size]).toEqual(['a/b c.json', body.length]);
    expect(await range('a/b c.json', 5, 9)).toEqual(body.subarray(5, 9));
    expect(await range('a/b c.json', 0, body.length)).toEqual(body);
    expect(await range('a/b c.json', 10, 1000)).toEqual(body.subarray(10));
    expect(await range('a/b c.json', body.length, body.length + 10)).toEqual(Buffer.alloc(0));
    expect(await range('a/b c.json', 500, 600)).toEqual(Buffer.alloc(0));
    expect(await range('a/b c.json', 3, 3)).toEqual(Buffer.alloc(0));
    await expect(range('a/b c.json', 5, 2)).rejects.toThrow(RangeError);
  });

  test('absent objects: typed not-found error, null head', async () => {
    for (const p of [
      store.get('missing.json'),
      store.getRange?.('missing.json', 0, 10) ?? Promise.reject(new Error('no getRange')),
    ]) {
      const e = await caught(p);
      expect(e).toBeInstanceOf(StorageError);
      expect(isNotFound(e)).toBe(true);
      expect((e as StorageError).permissionDenied).toBe(false);
      expect((e as StorageError).file).toContain('missing.json');
    }
    expect(await store.head('missing.json')).toBeNull();
    expect(await store.head('a')).toBeNull(); // a "folder" is not an object
  });

  test('put overwrites; delete removes and is idempotent', async () => {
    await store.put('tmp/over', 'one');
    await store.put('tmp/over', Buffer.from('two!'));
    expect((await store.get('tmp/over')).toString()).toBe('two!');
    await store.delete('tmp/over');
    expect(await store.head('tmp/over')).toBeNull();
    expect(isNotFound(await caught(store.get('tmp/over')))).toBe(true);
    await store.delete('tmp/over');
    await store.delete('tmp/never-there');
  });

  test('putIfAbsent: true, then false without overwriting', async () => {
    const p = '_delta_log/00000000000000000000.json';
    expect(await store.putIfAbsent(p, 'first')).toBe(true);
    expect(await store.putIfAbsent(p, 'second')).toBe(false);
    expect((await store.get(p)).toString()).toBe('first');
    await store.delete(p);
    expect(await store.putIfAbsent(p, Buffer.from('again'))).toBe(true);
    expect((await store.get(p)).toString()).toBe('again');
  });

  test('putIfAbsent: of 8 concurrent racers exactly one wins, and its bytes are stored', async () => {
    for (let round = 0; round < 3; round++) {
      const p = `_delta_log/race-${round}.json`;
      const bodies = Array.from({ length: 8 }, (_, i) => `writer ${i} `.repeat(200 + i));
      const won = await Promise.all(bodies.map((b) => store.putIfAbsent(p, b)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect((await store.get(p)).toString()).toBe(bodies[won.indexOf(true)]);
    }
  });
});
