/**
 * A Delta schema as an Iceberg schema (Iceberg spec "Schemas and Data Types"), with field ids.
 * Ids come from Delta column mapping (`delta.columnMapping.id`) when the table has it, so files
 * written with parquet field ids resolve directly; otherwise they are assigned depth-first and
 * the table gets `schema.name-mapping.default`, which lets readers match columns by name in files
 * without field ids. The name mapping lists the logical name and, under column mapping, the
 * physical name too.
 *
 * A later Delta schema is converted against the ids already given (`prior`, keyed by field path):
 * a column keeps its id, so files written before a column was added still resolve, and a new
 * column gets an id above every id ever used (Iceberg never reuses ids).
 */
import { DeltaSqlError } from '../../common/errors';

export type IcebergType = string | IcebergStruct | IcebergList | IcebergMap;
export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
}
export interface IcebergStruct {
  type: 'struct';
  fields: IcebergField[];
}
interface IcebergList {
  type: 'list';
  'element-id': number;
  'element-required': boolean;
  element: IcebergType;
}
interface IcebergMap {
  type: 'map';
  'key-id': number;
  'key-required': true;
  key: IcebergType;
  'value-id': number;
  'value-required': boolean;
  value: IcebergType;
}
export interface NameMapping {
  'field-id': number;
  names: string[];
  fields?: NameMapping[];
}

const COLUMN_MAPPING_ID = 'delta.columnMapping.id';
const COLUMN_MAPPING_PHYSICAL = 'delta.columnMapping.physicalName';
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const PRIMITIVES: Record<string, string> = {
  boolean: 'boolean',
  byte: 'int',
  short: 'int',
  integer: 'int',
  long: 'long',
  float: 'float',
  double: 'double',
  string: 'string',
  binary: 'binary',
  date: 'date',
  timestamp: 'timestamptz',
  timestamp_ntz: 'timestamp',
};

interface DeltaFieldJson {
  name: string;
  type: unknown;
  nullable?: boolean;
  metadata?: Record<string, unknown>;
}

export interface ConvertedSchema {
  schema: IcebergStruct & { 'schema-id': number };
  lastColumnId: number;
  nameMapping: NameMapping[];
  /** Top-level Delta column name -> its Iceberg field and the physical name Delta stats and partition values use. */
  topLevel: Map<string, { field: IcebergField; physical: string }>;
}

/**
 * Columns that Delta writers may leave in data files without them being table columns: the CDF
 * metadata columns (some writers keep `_change_type` in data files) and row tracking's
 * materialized columns. Readers that apply the name mapping strictly need every physical column
 * mapped, so these get ids of their own that no schema field uses.
 */
const CDF_COLUMNS = ['_change_type', '_commit_version', '_commit_timestamp'];
const ROW_TRACKING_COLUMN_KEYS = [
  'delta.rowTracking.materializedRowIdColumnName',
  'delta.rowTracking.materializedRowCommitVersionColumnName',
];

/** Ids already assigned: field path (`a.b`, `tags.element`, `m.key`) -> id, and the highest id. */
export interface PriorIds {
  byPath: Map<string, number>;
  lastColumnId: number;
}

/**
 * The field paths and ids of a converted schema (and the top-level names of its name mapping,
 * which also maps internal columns), to convert the next one against.
 */
export function priorIdsOf(
  schema: IcebergStruct,
  lastColumnId: number,
  mapping: NameMapping[] = [],
): PriorIds {
  const byPath = new Map<string, number>();
  for (const m of mapping) for (const n of m.names) byPath.set(n, m['field-id']);
  const walk = (t: IcebergType, at: string): void => {
    if (typeof t === 'string') return;
    if (t.type === 'struct') {
      for (const f of t.fields) {
        const p = at === '' ? f.name : `${at}.${f.name}`;
        byPath.set(p, f.id);
        walk(f.type, p);
      }
    } else if (t.type === 'list') {
      byPath.set(`${at}.element`, t['element-id']);
      walk(t.element, `${at}.element`);
    } else {
      byPath.set(`${at}.key`, t['key-id']);
      byPath.set(`${at}.value`, t['value-id']);
      walk(t.key, `${at}.key`);
      walk(t.value, `${at}.value`);
    }
  };
  walk(schema, '');
  return { byPath, lastColumnId };
}

export function convertSchema(
  schemaString: string,
  configuration: Record<string, string | null> = {},
  prior: PriorIds = { byPath: new Map(), lastColumnId: 0 },
  schemaId = 0,
): ConvertedSchema {
  const root = JSON.parse(schemaString) as { fields: DeltaFieldJson[] };
  // First pass: the highest column-mapping id, so assigned ids never collide with mapped ones.
  let next = prior.lastColumnId + 1;
  const visitIds = (t: unknown): void => {
    if (typeof t !== 'object' || t === null) return;
    const o = t as Record<string, unknown>;
    for (const f of (o.fields as DeltaFieldJson[] | undefined) ?? []) {
      const id = f.metadata?.[COLUMN_MAPPING_ID];
      if (typeof id === 'number') next = Math.max(next, id + 1);
      visitIds(f.type);
    }
    visitIds(o.elementType);
    visitIds(o.keyType);
    visitIds(o.valueType);
  };
  visitIds(root);
  const fresh = (): number => next++;
  const idFor = (path: string): number => prior.byPath.get(path) ?? fresh();

  const typeOf = (t: unknown, mapping: NameMapping[], at: string): IcebergType => {
    if (typeof t === 'string') {
      const d = DECIMAL.exec(t);
      if (d) return `decimal(${d[1]}, ${d[2]})`;
      const p = PRIMITIVES[t];
      if (p === undefined)
        throw new DeltaSqlError('UnsupportedFeature', `Delta type "${t}" has no Iceberg v2 equivalent`);
      return p;
    }
    const o = t as Record<string, unknown>;
    if (o.type === 'struct') return structOf(o.fields as DeltaFieldJson[], mapping, at);
    if (o.type === 'array') {
      const id = idFor(`${at}.element`);
      const m: NameMapping = { 'field-id': id, names: ['element'], fields: [] };
      mapping.push(m);
      const element = typeOf(o.elementType, m.fields as NameMapping[], `${at}.element`);
      return { type: 'list', 'element-id': id, 'element-required': o.containsNull === false, element };
    }
    if (o.type === 'map') {
      const keyId = idFor(`${at}.key`);
      const valueId = idFor(`${at}.value`);
      const km: NameMapping = { 'field-id': keyId, names: ['key'], fields: [] };
      const vm: NameMapping = { 'field-id': valueId, names: ['value'], fields: [] };
      mapping.push(km, vm);
      return {
        type: 'map',
        'key-id': keyId,
        'key-required': true,
        key: typeOf(o.keyType, km.fields as NameMapping[], `${at}.key`),
        'value-id': valueId,
        'value-required': o.valueContainsNull === false,
        value: typeOf(o.valueType, vm.fields as NameMapping[], `${at}.value`),
      };
    }
    throw new DeltaSqlError(
      'UnsupportedFeature',
      `Delta type ${JSON.stringify(t)} has no Iceberg v2 equivalent`,
    );
  };

  const structOf = (fields: DeltaFieldJson[], mapping: NameMapping[], at: string): IcebergStruct => {
    const pathOf = (f: DeltaFieldJson): string => (at === '' ? f.name : `${at}.${f.name}`);
    // Ids of one struct's own fields are taken before its children's, as Iceberg assigns them.
    const ids = fields.map((f) => {
      const mapped = f.metadata?.[COLUMN_MAPPING_ID];
      return typeof mapped === 'number' ? mapped : idFor(pathOf(f));
    });
    const out = fields.map((f, i): IcebergField => {
      const physical = f.metadata?.[COLUMN_MAPPING_PHYSICAL];
      const names = typeof physical === 'string' && physical !== f.name ? [f.name, physical] : [f.name];
      const m: NameMapping = { 'field-id': ids[i], names, fields: [] };
      mapping.push(m);
      return {
        id: ids[i],
        name: f.name,
        required: f.nullable === false,
        type: typeOf(f.type, m.fields as NameMapping[], pathOf(f)),
      };
    });
    return { type: 'struct', fields: out };
  };

  const nameMapping: NameMapping[] = [];
  const struct = structOf(root.fields, nameMapping, '');
  const taken = new Set(struct.fields.map((f) => f.name));
  const internal = [
    ...CDF_COLUMNS,
    ...ROW_TRACKING_COLUMN_KEYS.map((k) => configuration[k]).filter(
      (n): n is string => typeof n === 'string',
    ),
  ];
  for (const name of internal)
    if (!taken.has(name)) nameMapping.push({ 'field-id': idFor(name), names: [name] });
  const prune = (ms: NameMapping[]): void => {
    for (const m of ms) {
      if (m.fields && m.fields.length === 0) delete m.fields;
      else if (m.fields) prune(m.fields);
    }
  };
  prune(nameMapping);
  return {
    schema: { ...struct, 'schema-id': schemaId },
    lastColumnId: next - 1,
    nameMapping,
    topLevel: new Map(
      struct.fields.map((f, i) => {
        const physical = root.fields[i].metadata?.[COLUMN_MAPPING_PHYSICAL];
        return [f.name, { field: f, physical: typeof physical === 'string' ? physical : f.name }];
      }),
    ),
  };
}
