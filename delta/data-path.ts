/**
 * Paths in add/remove/cdc are RFC 2396 URIs, relative to the table root or absolute. The raw string
 * is the file's identity (never compared decoded); this decodes it only to locate the object.
 */
import { fileURLToPath } from 'node:url';

export type DataLocation = { kind: 'relative'; path: string } | { kind: 'absolute'; uri: string };

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

export function locateDataFile(rawPath: string): DataLocation {
  if (rawPath.startsWith('file:'))
    return { kind: 'absolute', uri: fileURLToPath(rawPath.replace(/^file:\/(?!\/)/, 'file:///')) };
  if (SCHEME.test(rawPath)) return { kind: 'absolute', uri: rawPath };
  if (rawPath.startsWith('/')) return { kind: 'absolute', uri: decodeURIComponent(rawPath) };
  return { kind: 'relative', path: decodeURIComponent(rawPath) };
}
