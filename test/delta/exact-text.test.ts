/**
 * exactText decides "the text re-encodes to the bytes" by a UTF-8 validity scan: it must answer
 * exactly as decoding and re-encoding would, for valid, invalid and borderline byte sequences.
 */
import { exactText } from '../../delta/line-reader';

const reencodes = (buf: Buffer): boolean => Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);

const CASES: [string, number[] | string][] = [
  ['empty', ''],
  ['ASCII lines', '{"add":{"path":"a"}}\n{"remove":{"path":"b"}}\n'],
  ['multi-byte characters', '{"add":{"path":"é/日本/😀"}}\n'],
  ['a literal U+FFFD', '{"add":{"path":"\uFFFD"}}\n'],
  ['a BOM', '\uFEFF{"add":{}}\n'],
  ['lone continuation byte', [0x7b, 0x80, 0x7d]],
  ['truncated two-byte sequence', [0x7b, 0xc3]],
  ['truncated four-byte sequence', [0xf0, 0x9f, 0x98]],
  ['overlong NUL', [0xc0, 0x80]],
  ['encoded surrogate (CESU-8)', [0xed, 0xa0, 0x80]],
  ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['0xFF byte', [0x22, 0xff, 0x22]],
  ['invalid byte after valid lines', [...Buffer.from('{"a":1}\n'), 0xfe, 0x0a]],
];

test.each(CASES)('%s', (_name, bytes) => {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  const text = exactText(buf);
  expect(text !== null).toBe(reencodes(buf));
  if (text !== null) expect(text).toBe(buf.toString('utf8'));
});
