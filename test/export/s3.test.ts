/**
 * Export to S3 (moto, which honours `If-None-Match: *`), then import the exported log back into a
 * fresh catalog: `diff` finds parity (exit 0) and the commits are the source's bytes. A second
 * export is a no-op (every file identical); a foreign commit in the bucket is a VersionConflict.
 */
import * as fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { exportRange, planExport } from '../../activities/export-steps';
import { openCatalog } from '../../catalog/open';
import type { CatalogStore } from '../../catalog/store';
import { DeltaTable } from '../../delta/table';
import { compareTable } from '../../parity/compare';
import { openStore } from '../../storage/uri';
import { loadHistory, sqliteUrl, tempDir } from '../catalog/helpers';
import { fixture } from '../support/env';
import { createBucket, useMotoEnv } from '../support/s3';
import { commitName, exportAll } from './helpers';

const FIXTURE = 'delta-rs/table_with_deletion_logs';
const bucket = `export-${randomUUID().slice(0, 8)}`;
const dir = tempDir('deltasql-export-s3-');
let src: CatalogStore;
let back: CatalogStore;

beforeAll(async () => {
  useMotoEnv();
  process.env.AWS_S3_FORCE_PATH_STYLE = 'true';
  await createBucket(bucket);
  src = await openCatalog(sqliteUrl(dir, 'src.db'));
  back = await openCatalog(sqliteUrl(dir, 'back.db'));
});
afterAll(async () => {
  await src?.close();
  await back?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('export to moto, import back: diff 0, commits byte for byte, re-export is a no-op', async () => {
  const root = fixture(FIXTURE);
  const h = await loadHistory(root);
  const t = await src.ensureTable({ location: root, name: 'dl' });
  if (h.baseline) await src.writeBaseline(t.tableId, h.baseline, h.baseline.actions());
  await src.writeVersions(t.tableId, h.commits);
  const uri = `s3://${bucket}/tables/dl`;
  const plan = await exportAll(src, 'dl', uri);
  expect(plan.checkpoints.length).toBeGreaterThan(0);

  const s3 = openStore(uri);
  for (const c of h.commits) {
    expect(
      (await s3.get(`_delta_log/${commitName(c.version)}`)).equals(
        fs.readFileSync(`${root}/_delta_log/${commitName(c.version)}`),
      ),
    ).toBe(true);
  }

  const exported = await loadHistory(uri);
  const b = await back.ensureTable({ location: uri, name: 'dl' });
  if (exported.baseline) await back.writeBaseline(b.tableId, exported.baseline, exported.baseline.actions());
  await back.writeVersions(b.tableId, exported.commits);
  const diff = await compareTable(await DeltaTable.open(uri), back, b.tableId, {
    allVersions: true,
    maxDriftFiles: 0,
    maxListedFiles: 10,
  });
  expect({ status: diff.status, exitCode: diff.exitCode }).toEqual({ status: 'parity', exitCode: 0 });
  // The round trip through S3 changes nothing the catalog knows, at any version, except the
  // timestamps of a table without in-commit timestamps: they are the commit objects' mtimes.
  const untimed = (x: object): object => ({ ...x, timestamp: 0 });
  for (let v = h.first; v <= h.latest; v++) {
    expect(untimed(await back.snapshot(b.tableId, { version: v, includeFiles: true }))).toEqual(
      untimed(await src.snapshot(t.tableId, { version: v, includeFiles: true })),
    );
  }

  const again = await exportRange(src, s3, {
    tableId: plan.tableId,
    from: plan.from,
    to: plan.to,
    commitFrom: plan.commitFrom,
    overwrite: false,
  });
  expect(again.outcomes).toEqual({
    created: 0,
    identical: 2 * (plan.to - plan.from + 1) - (plan.commitFrom - plan.from),
    overwritten: 0,
    kept: 0,
  });
});

test('a foreign commit in the bucket: VersionConflict naming it, object untouched', async () => {
  const uri = `s3://${bucket}/tables/conflict`;
  const s3 = openStore(uri);
  const foreign = Buffer.from('{"commitInfo":{"operation":"other writer"}}\n');
  await s3.put(`_delta_log/${commitName(2)}`, foreign);
  const plan = await planExport(src, { catalog: '', table: 'dl', dest: uri, overwrite: false });
  await expect(
    exportRange(src, s3, {
      tableId: plan.tableId,
      from: plan.from,
      to: plan.to,
      commitFrom: plan.commitFrom,
      overwrite: false,
    }),
  ).rejects.toMatchObject({ type: 'VersionConflict', message: expect.stringContaining(commitName(2)) });
  expect((await s3.get(`_delta_log/${commitName(2)}`)).equals(foreign)).toBe(true);
});
