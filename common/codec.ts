/**
 * Optional encryption of every Temporal payload at rest: an AES-256-GCM PayloadCodec, Temporal's
 * standard answer for data the server must not read (workflow inputs, results, heartbeats,
 * memos). Enabled by DELTASQL_ENCRYPTION_KEY_FILE, a file holding a 32-byte key (raw, hex or
 * base64), read by the CLI's client and by every worker, and by `deltasql codec-server` so the
 * Web UI can show decoded payloads.
 *
 * Each encoded payload is the protobuf of the original payload, encrypted, with metadata
 * `encoding: binary/encrypted` and `encryption-key-id` (a fingerprint of the key, never the key).
 * Data layout: 12-byte IV | ciphertext | 16-byte GCM tag.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DeltaSqlError } from './errors';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_KEY = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string => (b ? new TextDecoder().decode(b) : '');

export class AesGcmCodec implements PayloadCodec {
  readonly keyId: string;
  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`AES-256-GCM needs a ${KEY_BYTES}-byte key`);
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_KEY]: utf8(this.keyId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (text(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const keyId = text(p.metadata?.[KEY_ID_KEY]);
      if (keyId !== this.keyId) {
        throw new DeltaSqlError(
          'InvalidArgument',
          `payload was encrypted with key ${keyId}, but DELTASQL_ENCRYPTION_KEY_FILE holds key ${this.keyId}`,
        );
      }
      const data = Buffer.from(p.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** A key file holds 32 raw bytes, or their hex (64 chars) or base64 (44 chars) text. */
export function readKeyFile(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `cannot read DELTASQL_ENCRYPTION_KEY_FILE ${file}: ${(e as Error).message}`,
    );
  }
  if (raw.length === KEY_BYTES) return raw;
  const t = raw.toString('utf8').trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex');
  const b64 = /^[A-Za-z0-9+/]{43}=$/.test(t) ? Buffer.from(t, 'base64') : null;
  if (b64?.length === KEY_BYTES) return b64;
  throw new DeltaSqlError(
    'InvalidArgument',
    `DELTASQL_ENCRYPTION_KEY_FILE ${file} must hold a 32-byte key: raw, 64 hex characters or base64 ` +
      `(make one with: openssl rand -base64 32 > key)`,
  );
}

/** The codecs for the client and worker data converters: none, or the AES-GCM codec. */
export function payloadCodecs(env: NodeJS.ProcessEnv = process.env): PayloadCodec[] {
  const file = env.DELTASQL_ENCRYPTION_KEY_FILE;
  return file ? [new AesGcmCodec(readKeyFile(file))] : [];
}
