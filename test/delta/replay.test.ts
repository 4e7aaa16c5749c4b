import { DeltaTable } from '../../delta/table';
import { METADATA, PROTOCOL, add, errorOf, remove, tempTable, writeCommit } from './helpers';

const dv = (id: string, offset?: number) => ({
  storageType: 'u',
  pathOrInlineDv: id,
  ...(offset === undefined ? {} : { offset }),
  sizeInBytes: 30,
  cardinality: 2,
});

async function snap(dir: string, version?: number) {
  const t = await DeltaTable.open(dir);
  return t.snapshot({ version }, { includeFiles: true });
}

describe('reconciliation', () => {
  test('remove then re-add makes the file active again; last action wins', async () => {
    const dir = tempTable();
    writeCommit(dir, 0, [PROTOCOL, METADATA, add('a', 1), add('b', 2)]);
    writeCommit(dir, 1, [remove('a')]);
    writeCommit(dir, 2, [add('a', 5)]);
    expect((await snap(dir, 1)).files?.map((f) => f.path)).toEqual(['b']);
    const s = await snap(dir, 2);
    expect(s.files?.map((f) => [f.path, f.size])).toEqual([
      ['a', 5],
      ['b', 2],
    ]);
    expect(s.sizeBytes).toBe(7);
  });

  test('DV update: remove old DV and add new DV for the same path in one commit', async () => {
    const dir = tempTable();
    writeCommit(dir, 0, [PROTOCOL, METADATA, add('p', 100)]);
    writeCommit(dir, 1, [remove('p'), add('p', 100, dv('AAA', 1))]);
    writeCommit(dir, 2, [remove('p', dv('AAA', 1)), add('p', 100, dv('BBB', 1))]);
    const s1 = await snap(dir, 1);
    expect(s1.files?.map((f) => f.deletionVector?.pathOrInlineDv ?? null)).toEqual(['AAA']);
    const s2 = await snap(dir, 2);
    expect(s2.numFiles).toBe(1);
    expect(s2.files?.[0].deletionVector).toEqual({
      storageType: 'u',
      pathOrInlineDv: 'BBB',
      offset: 1,
      sizeInBytes: 30,
      cardinality: 2,
    });
  });

  test('a remove with a different DV id does not drop the file', async () => {
    const dir = tempTable();
    writeCommit(dir, 0, [PROTOCOL, METADATA, add('p', 1, dv('AAA'))]);
    writeCommit(dir, 1, [remove('p'), remove('p', dv('AAA', 3))]);
    expect((await snap(dir)).numFiles).toBe(1);
  });

  test('latest protocol and metadata win; txn latest per appId even when lower; domainMetadata removal', async () => {
    const dir = tempTable();
    writeCommit(dir, 0, [
      PROTOCOL,
      METADATA,
      { txn: { appId: 'app', version: 10 } },
      { domainMetadata: { domain: 'd1', configuration: '{"a":1}', removed: false } },
      { domainMetadata: { domain: 'd2', configuration: 'x', removed: false } },
    ]);
    writeCommit(dir, 1, [
      {
        protocol: {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['deletionVectors'],
          writerFeatures: ['domainMetadata', 'deletionVectors'],
        },
      },
      { metaData: { ...METADATA.metaData, name: 'renamed', configuration: { k: 'v' } } },
      { txn: { appId: 'app', version: 3 } },
      { txn: { appId: 'other', version: 1 } },
      { domainMetadata: { domain: 'd1', configuration: '{"a":1}', removed: true } },
    ]);
    const s = await snap(dir);
    expect(s.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['deletionVectors', 'domainMetadata'],
    });
    expect(s.metadata.name).toBe('renamed');
    expect(s.metadata.configuration).toEqual({ k: 'v' });
    expect(s.txns).toEqual({ app: 3, other: 1 });
    expect(s.domainMetadata).toEqual({ d2: 'x' });
  });

  test('unknown actions and fields are kept verbatim but do not change state', async () => {
    const dir = tempTable();
    const unknownLine = '{"futureAction":{"path":"a","weird":[1,2]}}';
    const addLine =
      '{"add":{"path":"a","partitionValues":{},"size":3,"modificationTime":1,"dataChange":true,"newField":{"x":1}}}';
    writeCommit(
      dir,
      0,
      [JSON.stringify(PROTOCOL), JSON.stringify(METADATA), unknownLine, addLine].join('\n'),
    );
    const t = await DeltaTable.open(dir);
    const commits = [];
    for await (const c of t.commits(0, 0)) commits.push(c);
    const actions = commits[0].actions;
    expect(actions.map((a) => a.type)).toEqual(['protocol', 'metaData', 'unknown', 'add']);
    expect(actions[2].raw).toBe(unknownLine);
    expect(actions[2]).toMatchObject({ type: 'unknown', key: 'futureAction' });
    expect(actions[3].raw).toBe(addLine);
    const s = await t.snapshot();
    expect(s.numFiles).toBe(1);
    expect(s.sizeBytes).toBe(3);
  });

  test('MissingProtocol and MissingMetadata name the file', async () => {
    const dir = tempTable();
    writeCommit(dir, 0, [METADATA, add('a')]);
    const e = await errorOf(snap(dir));
    expect(e.type).toBe('MissingProtocol');
    expect(e.message).toContain('00000000000000000000.json');
    const dir2 = tempTable();
    writeCommit(dir2, 0, [PROTOCOL, add('a')]);
    expect((await errorOf(snap(dir2))).type).toBe('MissingMetadata');
  });
});
