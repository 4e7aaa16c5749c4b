/**
 * The direct row builder (delta/checkpoint-rows.ts) replaced hyparquet's generic assembly plus
 * cleanValue for checkpoint actions. These prove it is byte-identical: for every parquet
 * checkpoint and sidecar among the fixtures, and for a synthetic one with nulls at every level
 * (null structs, null map values, empty and null maps, lists), the actions (raw, seq, body)
 * equal the old whole-file path's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SchemaTree } from 'hyparquet';
import { parquetMetadata, parquetSchema } from 'hyparquet';
import type { LogAction } from '../../delta/actions';
import { toLogAction } from '../../delta/action-parse';
import { hasCleanPlan } from '../../delta/checkpoint-rows';
import { readCheckpoint } from '../../delta/checkpoint-reader';
import type { CheckpointRef } from '../../delta/table';
import { LocalStore } from '../../storage/local-store';
import { fixturesRoot } from '../support/env';
import { wholeFileActions, writeCheckpoint } from './checkpoint-files';

async function collect(it: AsyncIterable<LogAction>): Promise<LogAction[]> {
  const out: LogAction[] = [];
  for await (const a of it) out.push(a);
  return out;
}

function parquetLogFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) parquetLogFiles(p, out);
    else if (p.includes(`${path.sep}_delta_log${path.sep}`) && e.name.endsWith('.parquet')) out.push(p);
  }
  return out.sort();
}

/**
 * `add.stats_parsed` is not kept: the reader turns it into `add.stats` when the row has none
 * (test/delta/stats-parsed.test.ts judges that text). Here the oracle drops it, and a stats text
 * the oracle row lacks is dropped from the streamed action, so the rest is compared byte for byte.
 */
function reparse(a: LogAction, edit: (add: Record<string, unknown>) => void): LogAction {
  if (a.type !== 'add') return a;
  const obj = JSON.parse(a.raw) as { add: Record<string, unknown> };
  edit(obj.add);
  return toLogAction(obj, JSON.stringify(obj), a.seq);
}
const withoutStatsParsed = (a: LogAction): LogAction =>
  a.type === 'add' && a.raw.includes('"stats_parsed"') ? reparse(a, (b) => delete b.stats_parsed) : a;
const withoutRebuiltStats = (a: LogAction, oracle: LogAction | undefined): LogAction =>
  a.type === 'add' && oracle?.type === 'add' && oracle.body.stats == null && a.body.stats != null
    ? reparse(a, (b) => delete b.stats)
    : a;

/** Read one parquet file of a _delta_log as if it were a classic checkpoint. */
async function readAsCheckpoint(file: string): Promise<LogAction[]> {
  const at = file.lastIndexOf(`${path.sep}_delta_log${path.sep}`);
  const root = file.slice(0, at);
  const rel = path.relative(root, file).split(path.sep).join('/');
  const ref: CheckpointRef = {
    version: 0,
    kind: 'classic',
    files: [{ path: rel, size: fs.statSync(file).size, lastModified: 0 }],
  };
  return collect(readCheckpoint(new LocalStore(root), ref));
}

test('every fixture checkpoint and sidecar yields the same actions as the generic path', async () => {
  const files = parquetLogFiles(path.join(fixturesRoot(), 'delta'));
  expect(files.length).toBeGreaterThanOrEqual(20);
  let actions = 0;
  let built = 0;
  for (const file of files) {
    const expected = (await wholeFileActions(file)).map(withoutStatsParsed);
    const got = (await readAsCheckpoint(file)).map((a, i) => withoutRebuiltStats(a, expected[i]));
    // A V2 checkpoint's sidecars follow its own rows.
    expect({ file, actions: got.slice(0, expected.length) }).toEqual({ file, actions: expected });
    actions += expected.length;
    const bytes = fs.readFileSync(file);
    const schema = parquetSchema(
      parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
    );
    built += schema.children.filter((c: SchemaTree) => hasCleanPlan(c)).length;
  }
  expect(actions).toBeGreaterThan(100);
  // The direct builder, not the fallback, handled the action columns.
  expect(built).toBeGreaterThan(files.length * 3);
});

test('nulls at every level: structs, map values, empty maps, lists, deletion vectors', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-cprows-'));
  try {
    const cp = await writeCheckpoint(dir, { adds: 700, removes: 300, rowGroupSize: 250, pageSize: 50 });
    const expected = await wholeFileActions(cp.file);
    expect(expected.length).toBe(1004);
    const got = await collect(readCheckpoint(new LocalStore(dir), cp.ref));
    expect(got).toEqual(expected);
    const raws = got.map((a) => a.raw);
    // The oracle really has the tricky shapes.
    expect(raws.some((r) => r.includes('"partitionValues":{"p":null}'))).toBe(true);
    expect(raws.some((r) => r.includes('"deletionVector":{'))).toBe(true);
    expect(raws.some((r) => r.includes('"partitionColumns":["p"]'))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
