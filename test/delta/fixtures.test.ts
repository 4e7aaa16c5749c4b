/**
 * Every fixture table, every version: the snapshot must build, and where the writer left an N.crc
 * its numFiles/tableSizeBytes must match ours exactly. Versions that legitimately cannot be read
 * must fail with the listed error type.
 */
import { isDeltaSqlError } from '../../common/errors';
import { DeltaTable } from '../../delta/table';
import { allFixtureTables, fixture } from '../support/env';

/** Whole-table failures (every version), with the reason. */
const TABLE_FAILURES: Record<string, { type: string; reason: string }> = {
  // metaData without the required schemaString (PROTOCOL.md requires it): we refuse to guess.
  'delta-rs/delta-live-table': { type: 'CorruptCommit', reason: 'metaData lacks schemaString' },
  'golden/deltalog-commit-info': { type: 'CorruptCommit', reason: 'metaData lacks schemaString' },
  // Reader version above 3 (with an unknown reader feature): refused, as Spark does.
  'delta-rs/simple_table_features': { type: 'UnsupportedFeature', reason: 'minReaderVersion 5' },
  'golden/deltalog-invalid-protocol-version': { type: 'UnsupportedFeature', reason: 'minReaderVersion 99' },
  // The log never carries a metaData action.
  'golden/data-reader-absolute-paths-escaped-chars': {
    type: 'MissingMetadata',
    reason: 'no metaData in the log',
  },
};

/** Versions before the oldest checkpoint whose earlier commits were cleaned up. */
const TRUNCATED_BELOW: Record<string, number> = {
  'delta-rs/checkpoint-cdf-table': 3,
  'delta-rs/checkpoint_with_partitions': 2,
  'delta-rs/checkpoints_vacuumed': 5,
};

const tables = allFixtureTables();

test('the fixture set is present', () => {
  expect(tables.length).toBeGreaterThan(100);
  for (const t of [...Object.keys(TABLE_FAILURES), ...Object.keys(TRUNCATED_BELOW)])
    expect(tables).toContain(t);
});

describe.each(tables)('%s', (rel) => {
  test('snapshot at every version; .crc agrees', async () => {
    const table = await DeltaTable.open(fixture(rel), { onWarning: () => undefined });
    const latest = await table.latestVersion();
    const failure = TABLE_FAILURES[rel];
    const truncatedBelow = TRUNCATED_BELOW[rel] ?? 0;
    if (!failure) expect(await table.oldestReconstructableVersion()).toBe(truncatedBelow);
    let crcChecked = 0;
    for (let v = 0; v <= latest; v++) {
      const expectedType = failure ? failure.type : v < truncatedBelow ? 'LogTruncated' : null;
      const run = table.snapshot({ version: v }, { includeFiles: true });
      if (expectedType) {
        const err = await run.then(
          () => null,
          (e: unknown) => e,
        );
        expect(isDeltaSqlError(err) ? err.type : String(err)).toBe(expectedType);
        expect(isDeltaSqlError(err) && err.message).toContain('_delta_log/');
        continue;
      }
      const snap = await run;
      expect(snap.version).toBe(v);
      expect(snap.files).toHaveLength(snap.numFiles);
      expect(snap.sizeBytes).toBe((snap.files ?? []).reduce((s, f) => s + f.size, 0));
      const keys = (snap.files ?? []).map((f) => `${f.path}\u0000${JSON.stringify(f.deletionVector)}`);
      expect(new Set(keys).size).toBe(keys.length);
      const crc = await table.crc(v);
      if (crc) {
        expect({ v, numFiles: snap.numFiles, sizeBytes: snap.sizeBytes }).toEqual({
          v,
          numFiles: crc.numFiles,
          sizeBytes: crc.tableSizeBytes,
        });
        crcChecked++;
      }
    }
    if (rel === 'delta-rs/cdf-table-with-cdc-and-dvs') expect(crcChecked).toBe(26);
    if (rel === 'delta-rs/table_with_deletion_logs') expect(crcChecked).toBe(21);
  });
});
