/**
 * Test-side oracles for the generator, written independently of bench/generator: a plain
 * last-action-wins replay of the JSON commits, and parquet reading through hyparquet.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

export const tmpDir = (tag: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `deltasql-gen-${tag}-`));
export const logDir = (root: string): string => path.join(root, '_delta_log');
export const pad20 = (n: number): string => String(n).padStart(20, '0');

export interface Dv {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number | null;
}
export interface FileAction {
  path: string;
  size: number;
  deletionVector?: Dv | null;
  partitionValues?: Record<string, string | null>;
  stats?: string;
}

export const keyOf = (a: FileAction): string => {
  const dv = a.deletionVector;
  if (!dv) return a.path;
  const id = `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === null || dv.offset === undefined ? '' : `@${dv.offset}`}`;
  return `${a.path}|${id}`;
};

export interface Replayed {
  files: Map<string, FileAction>;
  protocol: unknown;
  metadata: unknown;
  txns: Map<string, number>;
  commitInfoFirst: boolean;
  timestamp: number;
}

/** Replay commits 0..upTo of the log with last-action-wins by (path, DV id). */
export function replay(root: string, upTo: number): Replayed {
  const r: Replayed = {
    files: new Map(),
    protocol: null,
    metadata: null,
    txns: new Map(),
    commitInfoFirst: true,
    timestamp: 0,
  };
  for (let v = 0; v <= upTo; v++) {
    const lines = fs
      .readFileSync(path.join(logDir(root), `${pad20(v)}.json`), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    lines.forEach((line, i) => {
      const a = JSON.parse(line) as Record<string, Record<string, unknown>>;
      if (a.commitInfo) r.timestamp = Number(a.commitInfo.timestamp);
      if (i === 0 && !a.commitInfo) r.commitInfoFirst = false;
      if (a.add) r.files.set(keyOf(a.add as unknown as FileAction), a.add as unknown as FileAction);
      if (a.remove) r.files.delete(keyOf(a.remove as unknown as FileAction));
      if (a.protocol) r.protocol = a.protocol;
      if (a.metaData) r.metadata = a.metaData;
      if (a.txn) r.txns.set(String(a.txn.appId), Number(a.txn.version));
    });
  }
  return r;
}

export const sumSizes = (files: Iterable<FileAction>): number => {
  let s = 0;
  for (const f of files) s += f.size;
  return s;
};

function arrayBufferOf(file: string): ArrayBuffer {
  const b = fs.readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const buf = arrayBufferOf(file);
  return (await parquetReadObjects({ file: buf, compressors })) as Record<string, unknown>[];
}

/** A readable rendering of a parquet schema: one "path REPETITION TYPE CONVERTED" line per node. */
export async function schemaLines(file: string): Promise<string[]> {
  const md = parquetMetadata(arrayBufferOf(file));
  const out: string[] = [];
  const walk = (n: SchemaTree, prefix: string): void => {
    for (const c of n.children) {
      const e = c.element;
      const p = prefix ? `${prefix}.${e.name}` : e.name;
      out.push(`${p} ${e.repetition_type ?? ''} ${e.type ?? 'GROUP'} ${e.converted_type ?? ''}`.trim());
      walk(c, p);
    }
  };
  walk(parquetSchema(md), '');
  return out;
}

/** Every file under the log, name -> bytes. */
export function logBytes(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of fs.readdirSync(logDir(root)).sort())
    out.set(f, fs.readFileSync(path.join(logDir(root), f)));
  return out;
}
