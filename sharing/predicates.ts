/**
 * `jsonPredicateHints` (PROTOCOL.md, "JSON predicates for Filtering") turned into an SQL condition
 * on the stored partition values, so partition pruning happens in the catalog's file-list query.
 * Hints are best effort: anything this cannot translate exactly (a non-partition column, an
 * unknown op or value type) becomes "unknown", which never removes a file: AND drops unknown
 * children (only where that widens the result, not under a NOT), OR / NOT of an unknown is
 * unknown, and an unknown root means no filter. Comparisons
 * follow SQL three-valued logic, as Spark evaluates them; an empty partition value is null.
 */
import { z } from 'zod';
import type { SqlDialect, SqlValue } from '../catalog/sql';

export interface PredicateNode {
  op: string;
  children?: PredicateNode[];
  name?: string;
  value?: string;
  valueType?: string;
}

const NodeSchema: z.ZodType<PredicateNode> = z.lazy(() =>
  z.object({
    op: z.string(),
    children: z.array(NodeSchema).optional(),
    name: z.string().optional(),
    value: z.string().optional(),
    valueType: z.string().optional(),
  }),
);

/** Parse the hint string; null (no filtering) when it is not valid JSON of the right shape. */
export function parsePredicate(json: string): PredicateNode | null {
  try {
    const p = NodeSchema.safeParse(JSON.parse(json));
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}

export interface SqlCondition {
  sql: string;
  params: SqlValue[];
}

const COMPARE: Record<string, string> = {
  equal: '=',
  lessThan: '<',
  lessThanOrEqual: '<=',
  greaterThan: '>',
  greaterThanOrEqual: '>=',
};
const INTEGER_TYPES = new Set(['int', 'long']);
const TEXT_TYPES = new Set(['string', 'date', 'bool']);

/**
 * Compile a predicate against `partition_values` (JSON text). `partitionKeys` maps each partition
 * column's logical name (what hints name) to its key in partitionValues (the physical name under
 * column mapping). Returns null when nothing can be pruned.
 */
export function compilePredicate(
  node: PredicateNode,
  partitionKeys: ReadonlyMap<string, string>,
  dialect: SqlDialect,
): SqlCondition | null {
  // The JSON functions below are SQLite's and PostgreSQL's; elsewhere no pruning (never wrong).
  if (dialect !== 'sqlite' && dialect !== 'postgres') return null;
  const value = (key: string): SqlCondition =>
    dialect === 'postgres'
      ? { sql: `NULLIF(CAST(partition_values AS jsonb) ->> ?, '')`, params: [key] }
      : { sql: `NULLIF(json_extract(partition_values, ?), '')`, params: [`$."${key}"`] };
  // PostgreSQL's cast fails on a non-number, and a failing statement cannot be retried unpruned
  // once a streamed answer has begun: a value that is not an integer compares as null there.
  const intCast = (c: SqlCondition): SqlCondition => ({
    sql:
      dialect === 'postgres'
        ? `CAST(substring(${c.sql} from '^-?[0-9]{1,18}$') AS BIGINT)`
        : `CAST(${c.sql} AS INTEGER)`,
    params: c.params,
  });

  const leaf = (n: PredicateNode): SqlCondition | null => {
    const t = n.valueType ?? '';
    if (!INTEGER_TYPES.has(t) && !TEXT_TYPES.has(t)) return null;
    if (n.op === 'column') {
      const k = n.name === undefined ? undefined : partitionKeys.get(n.name);
      if (k === undefined || /["\\]/.test(k)) return null;
      // SQLite's json_extract returns a partition value of '1' as text: compare texts, or cast.
      return INTEGER_TYPES.has(t) ? intCast(value(k)) : value(k);
    }
    if (n.op === 'literal' && n.value !== undefined) {
      if (INTEGER_TYPES.has(t))
        return /^-?\d{1,18}$/.test(n.value) ? { sql: '?', params: [Number(n.value)] } : null;
      return { sql: '?', params: [t === 'bool' ? n.value.toLowerCase() : n.value] };
    }
    return null;
  };

  /** `exact`: under a NOT, dropping an unknown AND child would shrink the result, so it may not. */
  const go = (n: PredicateNode, exact: boolean): SqlCondition | null => {
    const kids = n.children ?? [];
    if (n.op in COMPARE) {
      if (kids.length !== 2) return null;
      const [a, b] = [leaf(kids[0]), leaf(kids[1])];
      if (!a || !b) return null;
      return { sql: `(${a.sql} ${COMPARE[n.op]} ${b.sql})`, params: [...a.params, ...b.params] };
    }
    if (n.op === 'isNull') {
      const a = kids.length === 1 && kids[0].op === 'column' ? leaf(kids[0]) : null;
      return a ? { sql: `(${a.sql} IS NULL)`, params: a.params } : null;
    }
    if (n.op === 'not') {
      const a = kids.length === 1 ? go(kids[0], !exact) : null;
      return a ? { sql: `(NOT ${a.sql})`, params: a.params } : null;
    }
    if (n.op === 'and' || n.op === 'or') {
      const parts = kids.map((k) => go(k, exact));
      const known = parts.filter((p): p is SqlCondition => p !== null);
      if ((n.op === 'or' || exact) && known.length < parts.length) return null;
      if (known.length === 0) return null;
      return {
        sql: `(${known.map((p) => p.sql).join(n.op === 'and' ? ' AND ' : ' OR ')})`,
        params: known.flatMap((p) => p.params),
      };
    }
    return null;
  };
  return go(node, false);
}
