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
    const expected = await wholeFileActions(file);
    const got = await readAsCheckpoint(file);
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
