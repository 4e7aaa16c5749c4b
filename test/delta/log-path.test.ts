import { parseLogFile, parseLogPath } from '../../delta/log-path';

const P = '_delta_log/';
describe('parseLogPath', () => {
  test.each([
    [`${P}00000000000000000007.json`, { kind: 'commit', version: 7 }],
    [
      `${P}00000000000000000010.checkpoint.parquet`,
      { kind: 'checkpoint', version: 10, checkpoint: 'classic' },
    ],
    [
      `${P}00000000000000000010.checkpoint.0000000002.0000000003.parquet`,
      { kind: 'checkpoint', version: 10, checkpoint: 'multi-part', part: 2, numParts: 3 },
    ],
    [
      `${P}00000000000000000008.checkpoint.e5ac4dc4-be27-4106-8a55-609707487f83.json`,
      {
        kind: 'checkpoint',
        version: 8,
        checkpoint: 'v2',
        uuid: 'e5ac4dc4-be27-4106-8a55-609707487f83',
        format: 'json',
      },
    ],
    [
      `${P}00000000000000000008.checkpoint.e5ac4dc4-be27-4106-8a55-609707487f83.parquet`,
      {
        kind: 'checkpoint',
        version: 8,
        checkpoint: 'v2',
        uuid: 'e5ac4dc4-be27-4106-8a55-609707487f83',
        format: 'parquet',
      },
    ],
    [`${P}00000000000000000003.crc`, { kind: 'crc', version: 3 }],
    [
      `${P}00000000000000000003.00000000000000000009.compacted.json`,
      { kind: 'compacted', version: 3, endVersion: 9 },
    ],
  ])('%s', (path, expected) => {
    expect(parseLogPath(path)).toEqual(expected);
  });

  test.each([
    `${P}.00000000000000000000.json.crc`,
    `${P}.s3-optimization-0`,
    `${P}_last_checkpoint`,
    `${P}_staged_commits/00000000000000000001.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json`,
    `${P}_sidecars/00000000000000000008.checkpoint.0000000001.0000000001.d55fb2cb-b8d3-4362-8572-c52142a9da1f.parquet`,
    `${P}0000000000000000007.json`,
    `${P}00000000000000000007.json.tmp`,
    `${P}00000000000000000010.checkpoint.0000000004.0000000003.parquet`,
    `${P}00000000000000000009.00000000000000000003.compacted.json`,
    `other/00000000000000000001.json`,
  ])('ignores %s', (path) => {
    expect(parseLogPath(path)).toBeNull();
  });

  test('0-byte checkpoints are skipped, 0-byte commits are not', () => {
    const meta = (path: string, size: number) => ({ path, size, lastModified: 1 });
    expect(parseLogFile(meta(`${P}00000000000000000010.checkpoint.parquet`, 0))).toBeNull();
    expect(parseLogFile(meta(`${P}00000000000000000010.json`, 0))).toMatchObject({
      kind: 'commit',
      version: 10,
    });
  });
});
