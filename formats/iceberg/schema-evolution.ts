/**
 * Delta schema changes between converted versions, as Iceberg schema evolution (Iceberg spec
 * "Schema Evolution"): every distinct schema gets its own `schema-id` and each snapshot names the
 * one it was written with. Adding, dropping and (under column mapping) renaming columns are
 * metadata-only in both formats. A type may only change where Iceberg allows the promotion
 * (int -> long, float -> double, decimal precision widening); anything else is refused, naming
 * the version, because Iceberg readers would misread the older files.
 */
import { DeltaSqlError } from '../../common/errors';
import type { IcebergField, IcebergStruct, IcebergType, NameMapping } from './schema';

const DECIMAL = /^decimal\((\d+), (\d+)\)$/;

function promotable(from: string, to: string): boolean {
  if (from === to) return true;
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const a = DECIMAL.exec(from);
  const b = DECIMAL.exec(to);
  return a !== null && b !== null && a[2] === b[2] && Number(b[1]) >= Number(a[1]);
}

const kind = (t: IcebergType): string => (typeof t === 'string' ? 'primitive' : t.type);

function fieldsById(t: IcebergType, out = new Map<number, { name: string; type: IcebergType }>()) {
  if (typeof t === 'string') return out;
  if (t.type === 'struct') {
    for (const f of t.fields) {
      out.set(f.id, { name: f.name, type: f.type });
      fieldsById(f.type, out);
    }
  } else if (t.type === 'list') {
    out.set(t['element-id'], { name: 'element', type: t.element });
    fieldsById(t.element, out);
  } else {
    out.set(t['key-id'], { name: 'key', type: t.key });
    out.set(t['value-id'], { name: 'value', type: t.value });
    fieldsById(t.key, out);
    fieldsById(t.value, out);
  }
  return out;
}

/** Refuse a type change Iceberg cannot promote; the error names the Delta version and column. */
export function checkEvolution(previous: IcebergStruct, next: IcebergStruct, deltaVersion: number): void {
  const old = fieldsById(previous);
  for (const [id, f] of fieldsById(next)) {
    const was = old.get(id);
    if (was === undefined) continue;
    const same =
      kind(was.type) === kind(f.type) &&
      (typeof was.type !== 'string' || promotable(was.type, f.type as string));
    if (!same) {
      throw new DeltaSqlError(
        'UnsupportedFeature',
        `version ${deltaVersion} changes column "${f.name}" (field ${id}) from ${JSON.stringify(was.type)} to ${JSON.stringify(f.type)}, which Iceberg cannot promote; older files would be misread`,
      );
    }
  }
}

/**
 * A column Iceberg already knows as optional stays optional: making it required is not an
 * allowed change, and reading a non-null column as optional is always correct.
 */
export function keepOptional(previous: IcebergStruct, next: IcebergStruct): void {
  const optional = new Set<number>();
  const collect = (t: IcebergType): void => {
    if (typeof t === 'string') return;
    if (t.type === 'struct')
      for (const f of t.fields) {
        if (!f.required) optional.add(f.id);
        collect(f.type);
      }
    else if (t.type === 'list') collect(t.element);
    else collect(t.value);
  };
  collect(previous);
  const relax = (t: IcebergType): void => {
    if (typeof t === 'string') return;
    if (t.type === 'struct')
      for (const f of t.fields as IcebergField[]) {
        if (optional.has(f.id)) f.required = false;
        relax(f.type);
      }
    else if (t.type === 'list') relax(t.element);
    else relax(t.value);
  };
  relax(next);
}

/** Same fields, ids and types: the schema a snapshot can share with the one before. */
export const sameFields = (a: IcebergStruct, b: IcebergStruct): boolean =>
  JSON.stringify(a.fields) === JSON.stringify(b.fields);

/**
 * One name mapping for files of every schema: `older` entries merged into `newer` by field id,
 * names unioned, so a file written before a rename (under column mapping) or before a column
 * existed still resolves. A name the newer schema gives to another field is dropped from the
 * older entry, since a name may map to one id only.
 */
export function mergeNameMappings(
  older: readonly NameMapping[],
  newer: readonly NameMapping[],
): NameMapping[] {
  const byId = new Map<number, NameMapping>();
  const claimed = new Set(newer.flatMap((m) => m.names));
  for (const m of newer) byId.set(m['field-id'], { ...m, names: [...m.names] });
  for (const m of older) {
    const seen = byId.get(m['field-id']);
    if (seen === undefined) {
      const names = m.names.filter((n) => !claimed.has(n));
      if (names.length > 0) byId.set(m['field-id'], { ...m, names });
      continue;
    }
    for (const n of m.names) if (!seen.names.includes(n) && !claimed.has(n)) seen.names.push(n);
    if (m.fields || seen.fields) {
      const fields = mergeNameMappings(m.fields ?? [], seen.fields ?? []);
      if (fields.length > 0) seen.fields = fields;
    }
  }
  return [...byId.values()];
}
