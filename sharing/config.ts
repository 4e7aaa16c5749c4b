/**
 * The shares file (`--shares shares.yaml`): which catalog tables are shared under which
 * share/schema/table names, and which bearer tokens see which shares. Tokens are stored only as
 * SHA-256 hex; a presented token is hashed and compared against every stored hash in constant
 * time, so neither the file nor the timing of a failed request reveals a token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DeltaSqlError } from '../common/errors';

/** Share, schema and table names: what clients put in URL paths and in `share.schema.table`. */
const Name = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'names use letters, digits, _ and - only');

const SharesFileSchema = z.strictObject({
  shares: z.array(
    z.strictObject({
      name: Name,
      schemas: z.array(
        z.strictObject({
          name: Name,
          tables: z.array(z.strictObject({ name: Name, table: z.string().min(1) })),
        }),
      ),
    }),
  ),
  tokens: z.array(
    z.strictObject({
      name: z.string().min(1),
      hashSha256: z.string().regex(/^[0-9a-f]{64}$/, 'hashSha256 must be 64 lower-case hex digits'),
      shares: z.array(Name),
    }),
  ),
});
export type SharesFile = z.infer<typeof SharesFileSchema>;

export interface SharedTable {
  share: string;
  schema: string;
  name: string;
  /** Catalog table id or name. */
  table: string;
}

export interface Recipient {
  name: string;
  shares: ReadonlySet<string>;
}

/** Names are case-insensitive in the protocol: lookups use this key. */
const key = (...parts: string[]): string => parts.map((p) => p.toLowerCase()).join('\u0000');

export const sha256Hex = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export class ShareRegistry {
  private readonly tokens: { hash: Buffer; recipient: Recipient }[];
  private readonly byKey = new Map<string, SharedTable>();

  constructor(readonly file: SharesFile) {
    const shareNames = new Set(file.shares.map((s) => s.name.toLowerCase()));
    for (const s of file.shares) {
      for (const sc of s.schemas) {
        for (const t of sc.tables) {
          const k = key(s.name, sc.name, t.name);
          if (this.byKey.has(k)) throw invalid(`table ${s.name}.${sc.name}.${t.name} is listed twice`);
          this.byKey.set(k, { share: s.name, schema: sc.name, name: t.name, table: t.table });
        }
      }
    }
    this.tokens = file.tokens.map((t) => {
      for (const s of t.shares) {
        if (!shareNames.has(s.toLowerCase())) throw invalid(`token ${t.name} names unknown share ${s}`);
      }
      return {
        hash: Buffer.from(t.hashSha256, 'hex'),
        recipient: { name: t.name, shares: new Set(t.shares.map((s) => s.toLowerCase())) },
      };
    });
  }

  /** The recipient holding `token`, or null. Every stored hash is compared, in constant time. */
  authenticate(token: string): Recipient | null {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found: Recipient | null = null;
    for (const t of this.tokens) {
      if (timingSafeEqual(presented, t.hash) && found === null) found = t.recipient;
    }
    return found;
  }

  /** Shares the recipient may see, in file order. */
  shares(r: Recipient): SharesFile['shares'] {
    return this.file.shares.filter((s) => r.shares.has(s.name.toLowerCase()));
  }

  /** The share if it exists and is granted; null otherwise (callers answer 404 for both). */
  share(r: Recipient, name: string): SharesFile['shares'][number] | null {
    if (!r.shares.has(name.toLowerCase())) return null;
    return this.file.shares.find((s) => s.name.toLowerCase() === name.toLowerCase()) ?? null;
  }

  table(r: Recipient, share: string, schema: string, table: string): SharedTable | null {
    if (!r.shares.has(share.toLowerCase())) return null;
    return this.byKey.get(key(share, schema, table)) ?? null;
  }

  /** Every shared table (the file server accepts signed URLs for these catalog tables only). */
  allTables(): SharedTable[] {
    return [...this.byKey.values()];
  }
}

const invalid = (msg: string): DeltaSqlError => new DeltaSqlError('InvalidArgument', `shares file: ${msg}`);

export function parseShares(text: string, where = 'shares file'): ShareRegistry {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new DeltaSqlError('InvalidArgument', `${where} is not valid YAML: ${(e as Error).message}`);
  }
  const p = SharesFileSchema.safeParse(doc);
  if (!p.success) {
    const issue = p.error.issues[0];
    throw new DeltaSqlError(
      'InvalidArgument',
      `${where}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return new ShareRegistry(p.data);
}

export function loadShares(file: string): ShareRegistry {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DeltaSqlError('InvalidArgument', `cannot read shares file ${file}: ${(e as Error).message}`);
  }
  return parseShares(text, file);
}
