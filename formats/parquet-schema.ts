/**
 * A parquet footer's schema as a Delta schema (PROTOCOL.md "Schema Serialization Format"), and the
 * merge of several files' schemas as CONVERT TO DELTA does it: the same columns may appear in any
 * order or be missing from some files (they become nullable), and the type widenings Spark
 * accepts when merging parquet schemas (byte < short < integer < long, float < double, decimals
 * that fit in 38 digits) are merged. Anything else is an IncompatibleSchema error naming the
 * column and the two files.
 */
import type { SchemaTree } from 'hyparquet';
import { DeltaSqlError } from '../common/errors';

export type DeltaType = string | DeltaStruct | DeltaArray | DeltaMap;
export interface DeltaField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}
export interface DeltaStruct {
  type: 'struct';
  fields: DeltaField[];
}
export interface DeltaArray {
  type: 'array';
  elementType: DeltaType;
  containsNull: boolean;
}
export interface DeltaMap {
  type: 'map';
  keyType: DeltaType;
  valueType: DeltaType;
  valueContainsNull: boolean;
}

const DECIMAL = /^decimal\((\d+),(\d+)\)$/;
const MAX_DECIMAL_PRECISION = 38;
/** Integer widening order; a later type holds every value of an earlier one. */
const INTEGERS = ['byte', 'short', 'integer', 'long'];

function leafType(t: SchemaTree): string {
  const e = t.element;
  const logical = e.logical_type;
  const conv = e.converted_type;
  if (conv === 'DECIMAL' || logical?.type === 'DECIMAL') {
    const precision = logical?.type === 'DECIMAL' ? logical.precision : (e.precision ?? 0);
    const scale = logical?.type === 'DECIMAL' ? logical.scale : (e.scale ?? 0);
    return `decimal(${precision},${scale})`;
  }
  switch (e.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
      if (conv === 'DATE' || logical?.type === 'DATE') return 'date';
      if (conv === 'INT_8' || (logical?.type === 'INTEGER' && logical.bitWidth === 8 && logical.isSigned))
        return 'byte';
      if (conv === 'INT_16' || (logical?.type === 'INTEGER' && logical.bitWidth === 16 && logical.isSigned))
        return 'short';
      if (conv === 'UINT_8') return 'short';
      if (conv === 'UINT_16') return 'integer';
      if (conv === 'UINT_32') return 'long';
      return 'integer';
    case 'INT64':
      if (logical?.type === 'TIMESTAMP') return logical.isAdjustedToUTC ? 'timestamp' : 'timestamp_ntz';
      if (conv === 'TIMESTAMP_MILLIS' || conv === 'TIMESTAMP_MICROS') return 'timestamp';
      if (conv === 'UINT_64') return 'decimal(20,0)';
      return 'long';
    case 'INT96':
      return 'timestamp';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    case 'BYTE_ARRAY':
      if (conv === 'UTF8' || conv === 'ENUM' || conv === 'JSON') return 'string';
      if (logical?.type === 'STRING' || logical?.type === 'ENUM' || logical?.type === 'JSON') return 'string';
      return 'binary';
    default:
      return 'binary';
  }
}

const optional = (t: SchemaTree): boolean => t.element.repetition_type !== 'REQUIRED';

function nodeType(t: SchemaTree): DeltaType {
  const e = t.element;
  const isList = e.converted_type === 'LIST' || e.logical_type?.type === 'LIST';
  const isMap =
    e.converted_type === 'MAP' || e.converted_type === 'MAP_KEY_VALUE' || e.logical_type?.type === 'MAP';
  if (isList && t.children.length === 1) {
    // Parquet's list compatibility rules (LogicalTypes.md): a repeated primitive, a repeated group
    // with several fields, or one named "array"/"*_tuple" is itself the element (2-level lists);
    // otherwise the repeated group wraps a single element field (3-level lists).
    const repeated = t.children[0];
    const twoLevel =
      repeated.children.length !== 1 ||
      repeated.element.name === 'array' ||
      repeated.element.name.endsWith('_tuple');
    if (twoLevel) {
      const elementType = repeated.children.length === 0 ? leafType(repeated) : structOf(repeated);
      return { type: 'array', elementType, containsNull: false };
    }
    const element = repeated.children[0];
    return { type: 'array', elementType: nodeType(element), containsNull: optional(element) };
  }
  if (isMap && t.children.length === 1 && t.children[0].children.length === 2) {
    const [k, v] = t.children[0].children;
    return { type: 'map', keyType: nodeType(k), valueType: nodeType(v), valueContainsNull: optional(v) };
  }
  if (t.children.length > 0) return structOf(t);
  if (e.repetition_type === 'REPEATED')
    return { type: 'array', elementType: leafType(t), containsNull: false };
  return leafType(t);
}

const structOf = (t: SchemaTree): DeltaStruct => ({ type: 'struct', fields: t.children.map(fieldOf) });

function fieldOf(t: SchemaTree): DeltaField {
  const repeatedLeaf = t.children.length === 0 && t.element.repetition_type === 'REPEATED';
  return { name: t.element.name, type: nodeType(t), nullable: repeatedLeaf || optional(t), metadata: {} };
}

/** The Delta schema of one parquet file, from hyparquet's schema tree (its root is the message). */
export function deltaSchemaOf(root: SchemaTree): DeltaStruct {
  return structOf(root);
}

export const typeName = (t: DeltaType): string => (typeof t === 'string' ? t : JSON.stringify(t));

function widen(a: string, b: string): string | null {
  if (a === b) return a;
  const ia = INTEGERS.indexOf(a);
  const ib = INTEGERS.indexOf(b);
  if (ia >= 0 && ib >= 0) return INTEGERS[Math.max(ia, ib)];
  if ((a === 'float' && b === 'double') || (a === 'double' && b === 'float')) return 'double';
  const da = DECIMAL.exec(a);
  const db = DECIMAL.exec(b);
  if (da && db) {
    const scale = Math.max(Number(da[2]), Number(db[2]));
    const digits = Math.max(Number(da[1]) - Number(da[2]), Number(db[1]) - Number(db[2]));
    return digits + scale <= MAX_DECIMAL_PRECISION ? `decimal(${digits + scale},${scale})` : null;
  }
  return null;
}

interface MergeContext {
  leftFile: string;
  rightFile: string;
}

function mismatch(ctx: MergeContext, column: string, a: DeltaType, b: DeltaType): DeltaSqlError {
  return new DeltaSqlError(
    'IncompatibleSchema',
    `incompatible schemas: column "${column}" is ${typeName(a)} in ${ctx.leftFile} but ${typeName(b)} in ${ctx.rightFile}`,
    { file: ctx.rightFile },
  );
}

function mergeTypes(a: DeltaType, b: DeltaType, column: string, ctx: MergeContext): DeltaType {
  if (typeof a === 'string' && typeof b === 'string') {
    const w = widen(a, b);
    if (w === null) throw mismatch(ctx, column, a, b);
    return w;
  }
  if (typeof a === 'string' || typeof b === 'string' || a.type !== b.type) throw mismatch(ctx, column, a, b);
  if (a.type === 'struct' && b.type === 'struct') return mergeStructs(a, b, `${column}.`, ctx);
  if (a.type === 'array' && b.type === 'array') {
    return {
      type: 'array',
      elementType: mergeTypes(a.elementType, b.elementType, `${column}.element`, ctx),
      containsNull: a.containsNull || b.containsNull,
    };
  }
  if (a.type === 'map' && b.type === 'map') {
    return {
      type: 'map',
      keyType: mergeTypes(a.keyType, b.keyType, `${column}.key`, ctx),
      valueType: mergeTypes(a.valueType, b.valueType, `${column}.value`, ctx),
      valueContainsNull: a.valueContainsNull || b.valueContainsNull,
    };
  }
  throw mismatch(ctx, column, a, b);
}

/**
 * Merge `b` (from `ctx.rightFile`) into `a`. Column order is first appearance; a column missing
 * on one side becomes nullable. Names compare case-insensitively, as Spark resolves them.
 */
export function mergeStructs(a: DeltaStruct, b: DeltaStruct, prefix: string, ctx: MergeContext): DeltaStruct {
  const out: DeltaField[] = [];
  const rightByName = new Map(b.fields.map((f) => [f.name.toLowerCase(), f]));
  for (const f of a.fields) {
    const other = rightByName.get(f.name.toLowerCase());
    rightByName.delete(f.name.toLowerCase());
    if (other === undefined) out.push({ ...f, nullable: true });
    else
      out.push({
        ...f,
        type: mergeTypes(f.type, other.type, `${prefix}${f.name}`, ctx),
        nullable: f.nullable || other.nullable,
      });
  }
  for (const f of rightByName.values()) out.push({ ...f, nullable: true });
  return { type: 'struct', fields: out };
}
