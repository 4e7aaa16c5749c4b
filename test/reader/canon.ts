/**
 * Canonical strings of reader values, the TypeScript mirror of `canon` in test/sharing/oracle.py,
 * so rows from scan() and rows from delta-rs compare as equal strings exactly when they hold the
 * same values: integers as decimal text, floats as %.12g, timestamps as "t:<epoch ms>", dates as
 * YYYY-MM-DD, binary as "b:<hex>", structs and maps as key-sorted [key, value] pairs.
 */
import type { DeltaField, DeltaType } from '../../reader/schema';

type Canon = string | null | Canon[];

/** printf's %.12g. */
function g12(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return '0';
  const [m, e] = v.toExponential(11).split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 12) {
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = Number(m) * 10 ** exp;
  const s = fixed.toFixed(Math.max(0, 11 - exp));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function num(v: number): string | null {
  if (Number.isNaN(v)) return null;
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 53) return String(v === 0 ? 0 : v);
  return g12(v);
}

const pairs = (entries: [string, Canon][]): Canon[] =>
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => [k, v]);

export function canon(v: unknown, type: DeltaType): Canon {
  if (v === null || v === undefined) return null;
  if (typeof type !== 'string') {
    if (type.type === 'struct') {
      const o = v as Record<string, unknown>;
      return pairs(type.fields.map((f) => [f.name, canon(o[f.name], f.type)]));
    }
    if (type.type === 'array') return Array.from(v as ArrayLike<unknown>, (x) => canon(x, type.elementType));
    const o = v as Record<string, unknown>;
    return pairs(Object.entries(o).map(([k, x]) => [String(k), canon(x, type.valueType)]));
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return num(v);
  if (v instanceof Date) return type === 'date' ? v.toISOString().slice(0, 10) : `t:${v.getTime()}`;
  if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString('hex')}`;
  return String(v);
}

export function canonRow(row: Record<string, unknown>, fields: readonly DeltaField[]): string {
  return JSON.stringify(pairs(fields.map((f) => [f.name, canon(row[f.name], f.type)])));
}

/** Code-unit order on both sides, so the two lists compare element by element. */
export const sortRows = (rows: string[]): string[] => rows.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
