/**
 * Hive-style partition folders (`year=2024/month=05/part-0.parquet`), as CONVERT TO DELTA reads
 * them: every data file of a partitioned folder sits under the same ordered list of `key=value`
 * folders, values are unescaped the way Hive escapes them (`%XX`), and `__HIVE_DEFAULT_PARTITION__`
 * is null. Column types are inferred from the values, as Spark's partition inference does for
 * the common cases: integer, long, double, date, else string.
 */
import { DeltaSqlError } from '../common/errors';

export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';
const PARTITION_SEGMENT = /^([^=/]+)=([^/]*)$/;
const INT = /^-?\d+$/;
const DOUBLE = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INT32_MAX = 2 ** 31 - 1;

export interface PartitionedPath {
  /** Partition column names in folder order ([] for a flat folder). */
  columns: string[];
  /** Value per column; null for Hive's default partition. */
  values: Record<string, string | null>;
}

function unescapeHive(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Split a file path relative to the table root into its partition folders. */
export function parsePartitionPath(rel: string): PartitionedPath {
  const dirs = rel.split('/').slice(0, -1);
  const columns: string[] = [];
  const values: Record<string, string | null> = {};
  for (const d of dirs) {
    const m = PARTITION_SEGMENT.exec(d);
    if (!m) {
      if (columns.length > 0) {
        throw new DeltaSqlError(
          'InvalidArgument',
          `${rel}: folder "${d}" below partition folders is not a key=value partition folder`,
          { file: rel },
        );
      }
      continue;
    }
    const key = unescapeHive(m[1]);
    const raw = unescapeHive(m[2]);
    columns.push(key);
    values[key] = raw === HIVE_DEFAULT_PARTITION ? null : raw;
  }
  return { columns, values };
}

/** Narrowest Delta type that holds every non-null value of a partition column. */
export function inferPartitionType(values: Iterable<string | null>): string {
  let int = true;
  let long = true;
  let double = true;
  let date = true;
  let any = false;
  for (const v of values) {
    if (v === null) continue;
    any = true;
    if (int && (!INT.test(v) || Math.abs(Number(v)) > INT32_MAX)) int = false;
    if (long && (!INT.test(v) || !Number.isSafeInteger(Number(v)))) long = false;
    if (double && !DOUBLE.test(v)) double = false;
    if (date && (!DATE.test(v) || Number.isNaN(Date.parse(v)))) date = false;
  }
  if (!any) return 'string';
  if (int) return 'integer';
  if (long) return 'long';
  if (double) return 'double';
  if (date) return 'date';
  return 'string';
}

/**
 * Percent-encode a path relative to the table root for an add action (Delta paths are URIs):
 * each segment is encoded, keeping the `=` of partition folders readable as Spark writes them.
 */
export function encodeRelativePath(rel: string): string {
  return rel
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%3D/gi, '='))
    .join('/');
}
