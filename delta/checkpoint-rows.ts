/**
 * Checkpoint rows as JSON-ready action bodies, built straight from the leaf columns of a batch.
 * hyparquet's generic assembly (assembleNested) allocates a struct-of-arrays, a wrapper per row and
 * depth, then an object per row that cleanValue copies once more; at a million rows that garbage
 * dominated the checkpoint import. Here each row's body is built once, already clean: nulls dropped
 * (kept inside map-typed fields, where a null partition value is data), int64 as numbers, in schema
 * order, so JSON.stringify gives exactly the bytes the generic path gave. Shapes other than
 * structs, primitives, maps and 3-level lists of primitives fall back to the generic path.
 * `add.stats_parsed` becomes `add.stats` (stats-parsed.ts): the JSON text, exact, when the row has
 * no `stats` of its own; the typed struct itself is not kept (stats is the protocol's field).
 */
import type { SchemaElement, SchemaTree } from 'hyparquet';
import { isListLike, isMapLike } from './hyparquet-internals';
import { type ColumnBatch, Missing, assembleColumn } from './parquet-stream';
import { isStatsParsedPath, statsFromAssembled, statsLeafJson, statsText } from './stats-parsed';

/** Delta's map-typed fields: their entries are data, so null values inside them are kept. */
export const MAP_FIELDS = new Set(['partitionValues', 'tags', 'configuration', 'options']);

/** JSON-ready copy of a decoded parquet value: nulls dropped, bigint -> number, Date -> ISO. */
export function cleanValue(v: unknown, keepNullEntries = false): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map((x) => cleanValue(x));
  if (typeof v === 'object' && v !== null) {
    // for-in, not Object.entries: no [key, value] pair per field (this runs for every cell).
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k in src) {
      const x = src[k];
      if (x === undefined || (x === null && !keepNullEntries)) continue;
      out[k] = x === null ? null : typeof x === 'object' ? cleanValue(x, MAP_FIELDS.has(k)) : cleanLeaf(x);
    }
    return out;
  }
  return v;
}

/** cleanValue of a primitive cell. */
const cleanLeaf = (v: unknown): unknown =>
  typeof v === 'bigint' ? Number(v) : typeof v === 'object' && v !== null ? cleanValue(v) : v;

/**
 * How to build one schema node; `leaf` indexes the per-row cursor of a leaf column. Primitive
 * fields (non-repeated leaves) arrive as value-or-Missing cells; map and list leaves as
 * hyparquet's nested rows, in which a struct's presence shows as a one-element wrapper.
 */
type Plan =
  | { kind: 'leaf'; leaf: number; /** Under stats_parsed: rendered as stats JSON. */ stats?: SchemaElement }
  | { kind: 'stats'; inner: Plan }
  | {
      kind: 'struct';
      optional: boolean;
      keepNull: boolean;
      /** Definition level at which this struct is present. */
      level: number;
      first: number;
      firstFlat: boolean;
      /** Leaves under it that carry a wrapper for it (map / list leaves), when optional. */
      wrapped: number[];
      fields: Field[];
    }
  | { kind: 'map'; optional: boolean; keepNull: boolean; key: number; value: number }
  | { kind: 'list'; optional: boolean; first: number; element: number };
interface Field {
  name: string;
  plan: Plan;
}

/** The field a stats_parsed value lands in; a non-null `stats` of the same row wins. */
const STATS = 'stats';
interface ColumnPlan {
  root: Plan;
  /** Dotted leaf paths in cursor order. */
  leaves: string[];
}

/** Whether a top-level column is built here (then its primitive leaves come as value-or-Missing). */
export function hasCleanPlan(schema: SchemaTree): boolean {
  return columnPlan(schema) !== null;
}

const isOptional = (s: SchemaTree): boolean => s.element.repetition_type === 'OPTIONAL';
const isRepeated = (s: SchemaTree): boolean => s.element.repetition_type === 'REPEATED';
const isPrimitiveLeaf = (s: SchemaTree | undefined): s is SchemaTree =>
  s !== undefined && s.children.length === 0 && !isRepeated(s);

/** A plan for the node, or null when it needs hyparquet's generic assembly. */
function planNode(
  s: SchemaTree,
  leaves: string[],
  flat: boolean[],
  parentLevel: number,
  inStats = false,
): Plan | null {
  if (isRepeated(s)) return null;
  const keepNull = MAP_FIELDS.has(s.element.name);
  const level = parentLevel + (isOptional(s) ? 1 : 0);
  if (!inStats && s.path.length === 2 && isStatsParsedPath(s.path)) {
    const inner = planNode(s, leaves, flat, parentLevel, true);
    return inner && { kind: 'stats', inner };
  }
  if (s.children.length === 0) {
    leaves.push(s.path.join('.'));
    flat.push(true);
    return { kind: 'leaf', leaf: leaves.length - 1, stats: inStats ? s.element : undefined };
  }
  if (isListLike(s)) {
    const element = s.children[0].children[0];
    if (s.children[0].children.length !== 1 || !isPrimitiveLeaf(element)) return null;
    leaves.push(element.path.join('.'));
    flat.push(false);
    return { kind: 'list', optional: isOptional(s), first: leaves.length - 1, element: leaves.length - 1 };
  }
  if (isMapLike(s)) {
    const kv = s.children[0].children;
    const key = kv.find((c) => c.element.name === 'key');
    const value = kv.find((c) => c.element.name === 'value');
    if (!isPrimitiveLeaf(key) || !isPrimitiveLeaf(value) || kv[0] !== key) return null;
    leaves.push(key.path.join('.'), value.path.join('.'));
    flat.push(false, false);
    return {
      kind: 'map',
      optional: isOptional(s),
      keepNull,
      key: leaves.length - 2,
      value: leaves.length - 1,
    };
  }
  if (s.element.logical_type?.type === 'VARIANT') return null;
  const first = leaves.length;
  const fields: Field[] = [];
  for (const child of s.children) {
    const plan = planNode(child, leaves, flat, level, inStats);
    if (!plan) return null;
    fields.push({ name: child.element.name, plan });
  }
  const wrapped: number[] = [];
  for (let i = first; i < leaves.length; i++) if (!flat[i]) wrapped.push(i);
  return {
    kind: 'struct',
    optional: isOptional(s),
    keepNull,
    level,
    first,
    firstFlat: flat[first],
    wrapped,
    fields,
  };
}

const plans = new WeakMap<SchemaTree, ColumnPlan | null>();

function columnPlan(schema: SchemaTree): ColumnPlan | null {
  let p = plans.get(schema);
  if (p === undefined) {
    const leaves: string[] = [];
    const root = planNode(schema, leaves, [], 0);
    p = root ? { root, leaves } : null;
    plans.set(schema, p);
  }
  return p;
}

/**
 * The clean value of `plan` for the current row. `cur[i]` holds leaf i's cell: a primitive's
 * value or Missing (its definition level); for map / list leaves, hyparquet's nested row, where
 * every optional or repeated group above the leaf adds one array level (empty when the group is
 * null), unwrapped here level by level. Returns undefined for a null group, null for a null
 * primitive (its struct being present).
 */
function build(plan: Plan, cur: unknown[]): unknown {
  switch (plan.kind) {
    case 'leaf': {
      const v = cur[plan.leaf];
      if (v instanceof Missing) return null;
      if (plan.stats) return statsLeafJson(plan.stats, v) ?? null;
      return v === null || v === undefined ? v : cleanLeaf(v);
    }
    case 'stats': {
      const v = build(plan.inner, cur);
      return v === undefined || v === null ? v : statsText(v);
    }
    case 'struct': {
      if (plan.optional) {
        const v = cur[plan.first];
        if (plan.firstFlat ? v instanceof Missing && v.def < plan.level : (v as unknown[]).length === 0) {
          return undefined;
        }
        for (const i of plan.wrapped) cur[i] = (cur[i] as unknown[])[0];
      }
      const out: Record<string, unknown> = {};
      for (const f of plan.fields) {
        const v = build(f.plan, cur);
        if (v === undefined || (v === null && !plan.keepNull)) continue;
        if (f.plan.kind === 'stats') {
          if (out[STATS] === undefined) out[STATS] = v;
        } else out[f.name] = v;
      }
      return out;
    }
    case 'map': {
      let keys = cur[plan.key] as unknown[];
      let values = cur[plan.value] as unknown[];
      if (plan.optional) {
        if (keys.length === 0) return undefined;
        keys = keys[0] as unknown[];
        values = values[0] as unknown[];
      }
      // Entries are set in order, nulls too, exactly as hyparquet's assembleMaps does (so a
      // repeated key keeps its first position); nulls are dropped afterwards, as cleanValue did.
      const out: Record<string, unknown> = {};
      let sawNull = false;
      for (let j = 0; j < keys.length; j++) {
        const v = values[j];
        if (v === null || v === undefined) {
          out[keys[j] as string] = null;
          sawNull = true;
        } else out[keys[j] as string] = cleanLeaf(v);
      }
      if (!sawNull || plan.keepNull) return out;
      const kept: Record<string, unknown> = {};
      for (const k in out) if (out[k] !== null) kept[k] = out[k];
      return kept;
    }
    case 'list': {
      let items = cur[plan.first] as unknown[];
      if (plan.optional) {
        if (items.length === 0) return undefined;
        items = items[0] as unknown[];
      }
      return items.map((x) => (x === null || x === undefined ? x : cleanLeaf(x)));
    }
  }
}

/**
 * Rows of clean action bodies keyed by top-level column (absent when null), for
 * parquetRowBatches' `assemble` hook. Columns without a plan take hyparquet's path + cleanValue.
 */
export function assembleCleanRows(columns: readonly ColumnBatch[], n: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = {};
  for (const c of columns) {
    if (!c.leaves) continue;
    const plan = columnPlan(c.schema);
    const keepNull = MAP_FIELDS.has(c.name);
    if (!plan) {
      const data = assembleColumn(c);
      const statsSchema = c.schema.children.find((x) => isStatsParsedPath(x.path));
      for (let i = 0; data && i < n; i++) {
        const v = data[i];
        if (v === null || v === undefined) continue;
        const parsed = statsSchema && (v as Record<string, unknown>)[statsSchema.element.name];
        const value = cleanValue(v, keepNull) as Record<string, unknown>;
        if (statsSchema) {
          delete value[statsSchema.element.name];
          const stats = statsFromAssembled(statsSchema, parsed);
          if (value[STATS] === undefined && stats !== undefined) value[STATS] = stats;
        }
        rows[i][c.name] = value;
      }
      continue;
    }
    const leafData = plan.leaves.map((p) => {
      const d = c.leaves?.get(p);
      if (!d) throw new Error(`column ${p} missing from the batch`);
      return d;
    });
    const cur: unknown[] = new Array(leafData.length);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < leafData.length; j++) cur[j] = leafData[j][i];
      const v = build(plan.root, cur);
      if (v !== null && v !== undefined) rows[i][c.name] = v;
    }
  }
  return rows;
}
