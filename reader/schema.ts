/**
 * The table schema (metaData.schemaString, Spark's JSON schema) as the reader needs it: field
 * types, and under column mapping (`delta.columnMapping.mode` = name or id) each field's physical
 * name, which is what parquet files and partitionValues use. Without column mapping the physical
 * name is the logical one.
 */
import { z } from 'zod';
import { DeltaSqlError } from '../common/errors';
import type { MetadataJson } from '../delta/snapshot-json';

export type DeltaType =
  | string
  | { type: 'struct'; fields: DeltaField[] }
  | { type: 'array'; elementType: DeltaType; containsNull?: boolean }
  | { type: 'map'; keyType: DeltaType; valueType: DeltaType; valueContainsNull?: boolean };

export interface DeltaField {
  name: string;
  type: DeltaType;
  nullable?: boolean;
  metadata?: Record<string, unknown>;
}

const TypeSchema: z.ZodType<DeltaType> = z.lazy(() =>
  z.union([
    z.string(),
    z.object({ type: z.literal('struct'), fields: z.array(FieldSchema) }),
    z.object({ type: z.literal('array'), elementType: TypeSchema, containsNull: z.boolean().optional() }),
    z.object({
      type: z.literal('map'),
      keyType: TypeSchema,
      valueType: TypeSchema,
      valueContainsNull: z.boolean().optional(),
    }),
  ]),
);
const FieldSchema: z.ZodType<DeltaField> = z.lazy(() =>
  z.object({
    name: z.string(),
    type: TypeSchema,
    nullable: z.boolean().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
);

export function parseSchema(schemaString: string): DeltaField[] {
  let doc: unknown;
  try {
    doc = JSON.parse(schemaString);
  } catch (e) {
    throw new DeltaSqlError('CorruptCommit', 'metaData.schemaString is not JSON', { cause: e });
  }
  const p = z.object({ type: z.literal('struct'), fields: z.array(FieldSchema) }).safeParse(doc);
  if (!p.success)
    throw new DeltaSqlError('CorruptCommit', `metaData.schemaString is invalid: ${p.error.message}`);
  return p.data.fields;
}

export const columnMappingMode = (m: Pick<MetadataJson, 'configuration'>): 'none' | 'name' | 'id' => {
  const v = m.configuration?.['delta.columnMapping.mode'];
  return v === 'name' || v === 'id' ? v : 'none';
};

/** The field's name in data files and partitionValues. */
export function physicalName(f: DeltaField, mode: 'none' | 'name' | 'id'): string {
  const p = f.metadata?.['delta.columnMapping.physicalName'];
  return mode !== 'none' && typeof p === 'string' ? p : f.name;
}

/** Logical partition column name → key in partitionValues. */
export function partitionKeyMap(
  m: Pick<MetadataJson, 'schemaString' | 'partitionColumns' | 'configuration'>,
): Map<string, string> {
  const mode = columnMappingMode(m);
  const fields = parseSchema(m.schemaString);
  const out = new Map<string, string>();
  for (const c of m.partitionColumns) {
    const f = fields.find((x) => x.name === c);
    out.set(c, f ? physicalName(f, mode) : c);
  }
  return out;
}
