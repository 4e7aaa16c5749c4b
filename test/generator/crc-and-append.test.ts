import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable, writeCommits } from '../../bench/generator';
import { logBytes, logDir, pad20, replay, sumSizes, tmpDir } from './helpers';

const readJson = (f: string): Record<string, unknown> => JSON.parse(fs.readFileSync(f, 'utf8'));

describe('generator crc files', () => {
  test('every N.crc equals an independent last-action-wins replay of the JSON commits', async () => {
    const dir = tmpDir('crc');
    const s = await generateTable({
      dir,
      versions: 60,
      addsPerVersion: 5,
      removesPerVersion: 4,
      deletionVectors: true,
      partitions: ['region'],
      checkpointInterval: 25,
      schemaEvolutionEvery: 30,
      protocolUpgradeAt: 4,
      seed: 99,
    });
    expect(s.crcFiles).toBe(60);
    let sawDv = false;
    for (let v = 0; v < 60; v++) {
      const crc = readJson(path.join(logDir(dir), `${pad20(v)}.crc`));
      const r = replay(dir, v);
      expect(r.commitInfoFirst).toBe(true);
      expect({ v, numFiles: crc.numFiles, tableSizeBytes: crc.tableSizeBytes }).toEqual({
        v,
        numFiles: r.files.size,
        tableSizeBytes: sumSizes(r.files.values()),
      });
      expect(crc.metadata).toEqual(r.metadata);
      expect(crc.protocol).toEqual(r.protocol);
      expect(crc).toMatchObject({ numMetadata: 1, numProtocol: 1 });
      sawDv ||= [...r.files.values()].some((f) => f.deletionVector);
    }
    expect(sawDv).toBe(true);
    // schema evolution at 15 and 45, protocol upgrade at 4
    const fields = (m: unknown): number =>
      JSON.parse((m as { schemaString: string }).schemaString).fields.length;
    expect(fields(replay(dir, 14).metadata)).toBe(4);
    expect(fields(replay(dir, 15).metadata)).toBe(5);
    expect(fields(replay(dir, 59).metadata)).toBe(6);
    expect(replay(dir, 3).protocol).toMatchObject({ minReaderVersion: 3, minWriterVersion: 7 }); // DVs from v0
    expect((replay(dir, 4).protocol as { writerFeatures: string[] }).writerFeatures).toContain(
      'checkConstraints',
    );
    // version 0 has protocol and metaData; partition values include null and characters that need encoding
    const v0 = fs.readFileSync(path.join(logDir(dir), `${pad20(0)}.json`), 'utf8');
    expect(v0).toContain('"protocol"');
    expect(v0).toContain('"metaData"');
    const paths = [...replay(dir, 59).files.values()].map((f) => f.path);
    expect(paths.some((p) => p.startsWith('region=__HIVE_DEFAULT_PARTITION__/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('region=eu%20west/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('region=ap%2525south/'))).toBe(true);
  });
});

describe('generator append (writeCommits)', () => {
  const OPTS = {
    addsPerVersion: 7,
    removesPerVersion: 3,
    checkpointInterval: 10,
    checkpointParts: 2,
    deletionVectors: true,
    seed: 21,
  };

  test('appending continues versions contiguously and equals one longer run byte for byte', async () => {
    const once = tmpDir('once');
    await generateTable({ ...OPTS, dir: once, versions: 35 });
    const twice = tmpDir('twice');
    await generateTable({ ...OPTS, dir: twice, versions: 18 });
    const s1 = await writeCommits(twice, 18, 5, OPTS);
    expect(s1).toMatchObject({ firstVersion: 18, lastVersion: 22, checkpoints: [20] });
    const s2 = await writeCommits(twice, 23, 12, OPTS);
    expect(s2).toMatchObject({ firstVersion: 23, lastVersion: 34, checkpoints: [30] });
    const a = logBytes(once);
    const b = logBytes(twice);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, bytes] of a)
      expect({ name, same: b.get(name)!.equals(bytes) }).toEqual({ name, same: true });
    const versions = [...b.keys()].filter((f) => f.endsWith('.json')).map((f) => Number(f.slice(0, 20)));
    expect(versions).toEqual(Array.from({ length: 35 }, (_, i) => i));
  });

  test('appending at the wrong version is a VersionConflict and writes nothing', async () => {
    const dir = tmpDir('conflict');
    await generateTable({ ...OPTS, dir, versions: 3 });
    const before = logBytes(dir).size;
    await expect(writeCommits(dir, 5, 1, OPTS)).rejects.toMatchObject({ type: 'VersionConflict' });
    await expect(writeCommits(dir, 2, 1, OPTS)).rejects.toMatchObject({ type: 'VersionConflict' });
    await expect(writeCommits(tmpDir('empty'), 0, 1, OPTS)).rejects.toMatchObject({ type: 'TableNotFound' });
    expect(logBytes(dir).size).toBe(before);
  });
});
