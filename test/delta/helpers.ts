/** Small helpers for log tests: write a commit file into a temp table. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaSqlError } from '../../common/errors';
import { padVersion } from '../../delta/log-path';

export function tempTable(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-log-'));
  fs.mkdirSync(path.join(dir, '_delta_log'));
  return dir;
}

export function writeCommit(dir: string, version: number, actions: unknown[] | string): string {
  const file = path.join(dir, '_delta_log', `${padVersion(version)}.json`);
  fs.writeFileSync(
    file,
    typeof actions === 'string' ? actions : actions.map((a) => JSON.stringify(a)).join('\n') + '\n',
  );
  return file;
}

export const PROTOCOL = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
export const METADATA = {
  metaData: {
    id: 't1',
    format: { provider: 'parquet', options: {} },
    schemaString: '{"type":"struct","fields":[]}',
    partitionColumns: [],
    configuration: {},
  },
};
export const add = (p: string, size = 10, dv?: object) => ({
  add: {
    path: p,
    partitionValues: {},
    size,
    modificationTime: 1,
    dataChange: true,
    ...(dv ? { deletionVector: dv } : {}),
  },
});
export const remove = (p: string, dv?: object) => ({
  remove: { path: p, deletionTimestamp: 2, dataChange: true, ...(dv ? { deletionVector: dv } : {}) },
});

export async function errorOf(p: Promise<unknown>): Promise<DeltaSqlError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeltaSqlError) return e;
    throw e;
  }
  throw new Error('expected a DeltaSqlError, got success');
}
