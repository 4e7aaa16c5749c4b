/**
 * The hand-written add/remove checks of action-parse.ts against their zod schemas: for every
 * action of every fixture commit, and for each field of an add and a remove set to every JSON
 * value kind, `toLogAction` (fast check, zod on refusal) and `schemaAction` (zod only) must both
 * succeed with the same action or both fail with the same message. Through the commit reader, the
 * same bad lines must give the same CorruptCommit, naming the line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ActionShapeError,
  isWellFormedAdd,
  isWellFormedRemove,
  schemaAction,
  toLogAction,
} from '../../delta/action-parse';
import { AddSchema, RemoveSchema, type KnownActionType } from '../../delta/actions';
import { parseCommitText } from '../../delta/commit-reader';
import { fixturesRoot } from '../support/env';

type Outcome = { ok: true; action: string } | { ok: false; error: string };

/**
 * An action as text with keys sorted: JSON.stringify keeps own "__proto__" keys, which toEqual does
 * not look at, and zod returns shape keys first where JSON.parse keeps the file's order.
 */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );

function outcome(run: () => unknown): Outcome {
  try {
    return { ok: true, action: canonical(run()) };
  } catch (e) {
    if (!(e instanceof ActionShapeError)) throw e;
    return { ok: false, error: e.message };
  }
}

/** Both paths on one action line; returns whether the fast check accepted the body. */
function expectSameOnLine(line: string, seq = 0): boolean {
  const obj = JSON.parse(line) as Record<string, unknown>;
  const type = Object.keys(obj).find((k) => obj[k] !== null) as KnownActionType;
  const fast = outcome(() => toLogAction(obj, line, seq));
  const zod = outcome(() => schemaAction(type, obj[type], line, seq));
  expect({ line, result: fast }).toEqual({ line, result: zod });
  return type === 'add' ? isWellFormedAdd(obj.add) : type === 'remove' && isWellFormedRemove(obj.remove);
}

function fixtureCommits(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...fixtureCommits(p));
    else if (/^\d{20}\.json$/.test(e.name) && path.basename(dir) === '_delta_log') out.push(p);
  }
  return out;
}

describe('fixture commits', () => {
  const commits = fixtureCommits(path.join(fixturesRoot(), 'delta'));

  test('every add and remove gives the same action by the fast check and by zod', () => {
    expect(commits.length).toBeGreaterThan(300);
    let fileActions = 0;
    let fast = 0;
    for (const file of commits) {
      const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
      for (const line of lines) {
        if (!/^\s*\{\s*"(add|remove)"/.test(line)) continue;
        fileActions++;
        if (expectSameOnLine(line)) fast++;
      }
    }
    expect(fileActions).toBeGreaterThan(1000);
    // The fast check must actually carry the fixture log, not hand everything to zod.
    expect(fast).toBeGreaterThan(fileActions * 0.95);
  });
});

const DV = {
  storageType: 'u',
  pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^',
  offset: 4,
  sizeInBytes: 40,
  cardinality: 6,
};
const ADD = {
  path: 'p=1/part-0.parquet',
  partitionValues: { p: '1', q: null },
  size: 10,
  modificationTime: 1700000000000,
  dataChange: true,
  stats: '{"numRecords":1}',
  tags: { INSERTION_TIME: '1' },
  deletionVector: DV,
  baseRowId: 3,
  defaultRowCommitVersion: 2,
  clusteringProvider: 'liquid',
};
const REMOVE = {
  path: 'p=1/part-0.parquet',
  deletionTimestamp: 1700000000001,
  dataChange: true,
  extendedFileMetadata: true,
  partitionValues: { p: '1' },
  size: 10,
  stats: '{"numRecords":1}',
  tags: { INSERTION_TIME: '1' },
  deletionVector: DV,
  baseRowId: 3,
  defaultRowCommitVersion: 2,
};

/** Every kind of JSON value (as text, so 1e999 really is JSON.parse's Infinity); undefined: absent. */
const VALUES: (string | undefined)[] = [
  undefined,
  'null',
  '""',
  '"x"',
  '0',
  '-1',
  '1.5',
  '9007199254740993',
  '1e999',
  '-1e999',
  'true',
  'false',
  '[]',
  '["a"]',
  '{}',
  '{"a":"b"}',
  '{"a":null}',
  '{"a":1}',
  '{"a":{"b":"c"}}',
  '{"__proto__":"x"}',
  '{"__proto__":1}',
  '{"constructor":"x"}',
  '{"constructor":null}',
  JSON.stringify(DV),
];

/** The action line with `field` (a path into the body) set to `value`, or removed when undefined. */
function variant(kind: string, base: object, field: string[], value: string | undefined): string {
  const marker = '"@@value@@"';
  const body = structuredClone(base) as Record<string, unknown>;
  let at = body;
  for (const f of field.slice(0, -1)) at = at[f] as Record<string, unknown>;
  const last = field[field.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = '@@value@@';
  return JSON.stringify({ [kind]: body }).replace(marker, value ?? '');
}

function fieldsOf(base: Record<string, unknown>): string[][] {
  const out: string[][] = [];
  for (const [k, v] of Object.entries(base)) {
    out.push([k]);
    if (v && typeof v === 'object') for (const k2 of [...Object.keys(v), 'extra']) out.push([k, k2]);
  }
  out.push(['extra'], ['__proto__']);
  return out;
}

describe.each([
  ['add', ADD],
  ['remove', REMOVE],
])('%s: each field set to each JSON value kind', (kind, base) => {
  test('the fast check and zod agree', () => {
    let refused = 0;
    let accepted = 0;
    for (const field of fieldsOf(base))
      for (const value of VALUES) {
        if (expectSameOnLine(variant(kind, base, field, value))) accepted++;
        else refused++;
      }
    // Both outcomes are exercised: the fast path accepts many variants and refuses many.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });
});

test('checkpoint rows (bigint integers) go to zod and read as numbers', () => {
  const add = { ...ADD, size: 10n, deletionVector: { ...DV, sizeInBytes: 40n } };
  const remove = { ...REMOVE, deletionTimestamp: 5n };
  expect(isWellFormedAdd(add)).toBe(false);
  expect(isWellFormedRemove(remove)).toBe(false);
  expect(toLogAction({ add }, 'raw', 0).body).toEqual(AddSchema.parse(add));
  expect(toLogAction({ remove }, 'raw', 1).body).toEqual(RemoveSchema.parse(remove));
  expect(toLogAction({ add }, 'raw', 0).body).toEqual({ ...ADD });
});

test('an own __proto__ key goes to zod, which drops it, as before', () => {
  const line = '{"add":{"path":"a","size":1,"modificationTime":1,"__proto__":{"x":1}}}';
  const a = toLogAction(JSON.parse(line), line, 0);
  expect(Object.prototype.hasOwnProperty.call(a.body, '__proto__')).toBe(false);
  expect(a.raw).toBe(line);
});

describe('commit reader: bad lines are CorruptCommit naming the line', () => {
  const good = [
    JSON.stringify({ add: ADD }),
    JSON.stringify({ remove: REMOVE }),
    JSON.stringify({ commitInfo: { operation: 'WRITE' } }),
  ];
  const cases: [string, string, string][] = [
    ['add without size', variant('add', ADD, ['size'], undefined), 'invalid add.size: '],
    ['add size 1e999', variant('add', ADD, ['size'], '1e999'), 'invalid add.size: '],
    ['remove path ""', variant('remove', REMOVE, ['path'], '""'), 'invalid remove.path: '],
    ['remove size "1"', variant('remove', REMOVE, ['size'], '"1"'), 'invalid remove.size: '],
    [
      'remove dv without cardinality',
      variant('remove', REMOVE, ['deletionVector', 'cardinality'], undefined),
      'invalid remove.deletionVector.cardinality: ',
    ],
    [
      'add tag value 1',
      variant('add', ADD, ['tags', 'INSERTION_TIME'], '1'),
      'invalid add.tags.INSERTION_TIME: ',
    ],
    ['truncated JSON', '{"remove": {"path": "a"', 'invalid JSON ('],
    [
      'two keys',
      `{"add":${JSON.stringify(ADD)},"remove":${JSON.stringify(REMOVE)}}`,
      'an action must have exactly one key',
    ],
  ];
  test.each(cases)('%s', (_name, bad, why) => {
    const text = `${good.join('\n')}\n\n${bad}\n${good[0]}\n`;
    expect(() => parseCommitText(text, 'f.json')).toThrow(
      expect.objectContaining({
        type: 'CorruptCommit',
        message: expect.stringContaining(`f.json at line 5: ${why}`),
      }),
    );
  });

  test('good lines read the same through both paths', () => {
    const actions = parseCommitText(`${good.join('\n')}\n`, 'f.json');
    expect(actions.map(canonical)).toEqual(
      good.map((l, i) => {
        const obj = JSON.parse(l) as Record<string, unknown>;
        const type = Object.keys(obj)[0] as KnownActionType;
        return canonical(schemaAction(type, obj[type], l, i));
      }),
    );
  });
});
