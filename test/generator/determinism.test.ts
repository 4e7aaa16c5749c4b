import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { isDeltaSqlError } from '../../common/errors';
import { logBytes, logDir, pad20, tmpDir } from './helpers';

const OPTS = {
  versions: 40,
  addsPerVersion: 6,
  removesPerVersion: 2,
  checkpointInterval: 10,
  checkpointParts: 2,
  deletionVectors: true,
  partitions: true,
  schemaEvolutionEvery: 20,
  seed: 7,
};

describe('generator determinism', () => {
  test('same seed and options give byte-identical _delta_log files and mtimes', async () => {
    const a = tmpDir('det-a');
    const b = tmpDir('det-b');
    await generateTable({ ...OPTS, dir: a });
    await generateTable({ ...OPTS, dir: b });
    const la = logBytes(a);
    const lb = logBytes(b);
    // 40 commits + 40 crc + 3 checkpoints x 2 parts + _last_checkpoint
    expect(la.size).toBe(40 + 40 + 6 + 1);
    expect([...lb.keys()]).toEqual([...la.keys()]);
    for (const [name, bytes] of la) expect(lb.get(name)!.equals(bytes)).toBe(true);
    for (const v of [0, 17, 39]) {
      const f = path.join(logDir(a), `${pad20(v)}.json`);
      const info = JSON.parse(fs.readFileSync(f, 'utf8').split('\n')[0]) as {
        commitInfo: { timestamp: number };
      };
      expect(fs.statSync(f).mtimeMs).toBe(info.commitInfo.timestamp);
      expect(fs.statSync(path.join(logDir(b), `${pad20(v)}.json`)).mtimeMs).toBe(info.commitInfo.timestamp);
    }
  });

  test('a different seed gives a different log', async () => {
    const a = tmpDir('seed-a');
    const b = tmpDir('seed-b');
    await generateTable({ ...OPTS, versions: 3, dir: a, seed: 1 });
    await generateTable({ ...OPTS, versions: 3, dir: b, seed: 2 });
    const f = `${pad20(1)}.json`;
    expect(logBytes(a).get(f)!.equals(logBytes(b).get(f)!)).toBe(false);
  });

  test('refuses to overwrite an existing log unless forced, and validates options', async () => {
    const d = tmpDir('force');
    await generateTable({ dir: d, versions: 2, seed: 3 });
    await expect(generateTable({ dir: d, versions: 2 })).rejects.toMatchObject({ type: 'InvalidArgument' });
    const s = await generateTable({ dir: d, versions: 3, force: true, checkpointInterval: 0 });
    expect(s.lastVersion).toBe(2);
    expect(fs.readdirSync(logDir(d)).filter((f) => f.endsWith('.json'))).toHaveLength(3);
    const bad = await generateTable({ dir: d, versions: -1 }).catch((e: unknown) => e);
    expect(isDeltaSqlError(bad) && bad.type).toBe('InvalidArgument');
  });
});
