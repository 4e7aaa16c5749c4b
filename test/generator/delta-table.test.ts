import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable, writeCommits } from '../../bench/generator';
import { DeltaTable } from '../../delta/table';
import { logDir, pad20, replay, tmpDir } from './helpers';

const readCrc = (
  dir: string,
  v: number,
): { numFiles: number; tableSizeBytes: number; metadata: { id: string } } =>
  JSON.parse(fs.readFileSync(path.join(logDir(dir), `${pad20(v)}.crc`), 'utf8'));

describe('generated tables read by DeltaTable', () => {
  test.each([
    ['classic checkpoints', 1],
    ['multi-part checkpoints', 3],
  ])(
    'snapshot() agrees with N.crc with %s, also for versions served from a checkpoint',
    async (_name, parts) => {
      const dir = tmpDir(`dt-${parts}`);
      const opts = {
        addsPerVersion: 6,
        removesPerVersion: 2,
        checkpointInterval: 10,
        checkpointParts: parts,
        deletionVectors: true,
        partitions: true,
        seed: 4,
      };
      await generateTable({ ...opts, dir, versions: 24 });
      await writeCommits(dir, 24, 8, opts); // checkpoint at 30 written by the appender
      const table = await DeltaTable.open(dir);
      expect(await table.latestVersion()).toBe(31);
      expect((await table.checkpoints()).map((c) => [c.version, c.kind, c.files.length])).toEqual(
        [10, 20, 30].map((v) => [v, parts > 1 ? 'multi-part' : 'classic', parts]),
      );
      expect((await table.segment(27)).checkpoint?.version).toBe(20);
      for (const v of [0, 5, 10, 13, 20, 27, 30, 31]) {
        const crc = readCrc(dir, v);
        const snap = await table.snapshot({ version: v }, { includeFiles: true });
        expect({ v, numFiles: snap.numFiles, sizeBytes: snap.sizeBytes, id: snap.metadata.id }).toEqual({
          v,
          numFiles: crc.numFiles,
          sizeBytes: crc.tableSizeBytes,
          id: crc.metadata.id,
        });
        const expected = [...replay(dir, v).files.values()].map((f) => f.path).sort();
        expect(snap.files!.map((f) => f.path).sort()).toEqual(expected);
        const ts = JSON.parse(
          fs.readFileSync(path.join(logDir(dir), `${pad20(v)}.json`), 'utf8').split('\n')[0],
        );
        expect(snap.timestamp).toBe(ts.commitInfo.timestamp);
      }
    },
  );
});
