/**
 * Both conversions on s3:// (moto, the real SDK): a Hive-partitioned parquet folder becomes a
 * Delta table that delta-rs reads from S3 with exactly the rows pyarrow reads from the files, and
 * a Delta table on S3 gets Iceberg metadata that pyiceberg scans from S3 with delta-rs's rows.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { fixture, S3_ENDPOINT, TEMPORAL_ADDRESS } from '../support/env';
import { runPython } from '../support/python';
import { runCli } from '../support/run-cli';
import { createBucket, uploadTable, useMotoEnv } from '../support/s3';
import { integrationSuite } from '../support/suite';

const s = integrationSuite('s3-formats');
const saved = { ...process.env };
const bucket = `formats-${randomUUID().slice(0, 8)}`;

/** Rows through delta-rs and pyarrow (parquet folder) or pyiceberg (metadata), all from S3. */
const JUDGE = String.raw`
import json, sys, pyarrow.fs as pafs, pyarrow.dataset as ds
from deltalake import DeltaTable
from pyiceberg.table import StaticTable
a = json.load(sys.stdin)
opts = {"AWS_ENDPOINT_URL": a["endpoint"], "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true", "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
def rows(df):
    cols = sorted(df.columns)
    return sorted(json.dumps([str(v) for v in r]) for r in df[cols].itertuples(index=False))
dt = DeltaTable(a["delta"], storage_options=opts)
out = {"delta": rows(dt.to_pandas()), "files": len(dt.file_uris()), "partitions": dt.metadata().partition_columns}
if "parquet" in a:
    s3 = pafs.S3FileSystem(endpoint_override=a["endpoint"], access_key="test", secret_key="test", region="us-east-1")
    out["pyarrow"] = rows(ds.dataset(a["parquet"], filesystem=s3, format="parquet", partitioning="hive").to_table().to_pandas())
if "metadata" in a:
    it = StaticTable.from_metadata(a["metadata"], properties={"s3.endpoint": a["endpoint"], "s3.access-key-id": "test",
        "s3.secret-access-key": "test", "s3.region": "us-east-1"})
    out["iceberg"] = rows(it.scan().to_pandas())
    out["icebergFiles"] = int(it.current_snapshot().summary["total-data-files"])
print(json.dumps(out))
`;

beforeAll(async () => {
  useMotoEnv();
  process.env.TEMPORAL_ADDRESS = TEMPORAL_ADDRESS;
  process.env.DELTASQL_TASK_QUEUE = s.h.taskQueue;
  await createBucket(bucket);
});
afterAll(() => {
  process.env = saved;
});

test('a Hive-partitioned parquet folder on S3 converts to Delta; delta-rs reads the rows pyarrow reads', async () => {
  const local = path.join(s.tmp, 'sales');
  await runPython(
    String.raw`
import json, sys, os, pyarrow as pa, pyarrow.parquet as pq
a = json.load(sys.stdin)
for region in ("eu", "us"):
    d = os.path.join(a["dir"], f"region={region}")
    os.makedirs(d)
    pq.write_table(pa.table({"id": pa.array([1, 2, 3], pa.int64()), "amount": [0.5, None, 7.25]}), os.path.join(d, "part-0.parquet"))
print(json.dumps({}))
`,
    { dir: local },
  );
  const uri = await uploadTable(local, bucket, 'sales', { all: true });
  const r = await s.h.withWorker(() => runCli(['convert', uri, '--to', 'delta', '--format', 'json']));
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ files: 2, rows: 6, partitionColumns: ['region'] });
  const j = await runPython<Record<string, unknown>>(JUDGE, {
    endpoint: S3_ENDPOINT,
    delta: uri,
    parquet: `${bucket}/sales`,
  });
  expect(j.files).toBe(2);
  expect(j.partitions).toEqual(['region']);
  expect(j.delta).toEqual(j.pyarrow);
  expect(j.delta).toHaveLength(6);
});

test('a Delta table on S3 gets Iceberg metadata that pyiceberg scans from S3 with delta-rs rows', async () => {
  const uri = await uploadTable(fixture('delta-rs/delta-0.8.0-partitioned'), bucket, 'parted', { all: true });
  const r = await runCli(['convert', uri, '--to', 'iceberg', '--format', 'json']);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { metadataFile: string; snapshots: { liveFiles: number }[] };
  expect(out.metadataFile).toBe(`${uri}/metadata/v1.metadata.json`);
  const j = await runPython<Record<string, unknown>>(JUDGE, {
    endpoint: S3_ENDPOINT,
    delta: uri,
    metadata: out.metadataFile,
  });
  expect(j.iceberg).toEqual(j.delta);
  expect((j.delta as unknown[]).length).toBeGreaterThan(0);
  expect(j.icebergFiles).toBe(j.files);
  expect(out.snapshots[0].liveFiles).toBe(j.files);
});
