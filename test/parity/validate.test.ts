import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyFixture, fixture } from '../support/env';
import { runCli } from '../support/run-cli';

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  problems: { file: string | null; message: string }[];
}
interface Report {
  healthy: boolean;
  crcs: number;
  checks: Check[];
}

async function validate(uri: string): Promise<{ code: number; report: Report }> {
  const r = await runCli(['validate', uri, '--format', 'json']);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

const byName = (r: Report, name: string): Check => r.checks.find((c) => c.name === name)!;
const failing = (r: Report): string[] => r.checks.filter((c) => c.status === 'fail').map((c) => c.name);
const log = (dir: string, name: string): string => path.join(dir, '_delta_log', name);
const pad = (v: number): string => String(v).padStart(20, '0');

const copies: string[] = [];
const copy = (rel: string): string => {
  const d = copyFixture(rel);
  copies.push(d);
  return d;
};
afterAll(() => {
  for (const d of copies) fs.rmSync(d, { recursive: true, force: true });
});

describe('deltasql validate: healthy fixtures', () => {
  test.each([
    ['delta-rs/cdf-table-with-cdc-and-dvs', 26],
    ['delta-rs/checkpoint-v2-table', 10],
    ['delta-rs/table_with_deletion_logs', 21],
    ['delta-rs/cdc_ict_table', 4],
  ])('%s is healthy and agrees with all %i .crc files', async (rel, crcs) => {
    const { code, report } = await validate(fixture(rel));
    expect(failing(report)).toEqual([]);
    expect(code).toBe(0);
    expect(report.crcs).toBe(crcs);
    expect(byName(report, 'crc').detail).toBe(`${crcs} version(s) agree with their .crc`);
  });

  test('simple_table_with_checkpoint is healthy; human output ends with HEALTHY', async () => {
    const r = await runCli(['validate', fixture('delta-rs/simple_table_with_checkpoint')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ checkpoints: 1 checkpoint(s) complete and readable');
    expect(r.stdout.trim().endsWith('✓ HEALTHY')).toBe(true);
  });

  test('a stale _last_checkpoint is a warning, not a failure', async () => {
    const { code, report } = await validate(fixture('delta-rs/table_failed_last_checkpoint_update'));
    expect(byName(report, 'last_checkpoint').status).toBe('warn');
    expect(byName(report, 'last_checkpoint').problems[0].message).toMatch(
      /^stale: points at \d+ but checkpoint \d+ is newer/,
    );
    expect(code).toBe(0);
  });
});

describe('deltasql validate: broken fixtures exit 2 and name the problem', () => {
  test('a deleted commit is a gap', async () => {
    const dir = copy('delta-rs/simple_table');
    fs.rmSync(log(dir, `${pad(2)}.json`));
    const { code, report } = await validate(dir);
    expect(code).toBe(2);
    expect(failing(report)).toEqual(['commits']);
    expect(byName(report, 'commits').problems.map((p) => p.message)).toEqual(['missing commit version(s) 2']);
  });

  test('a corrupt JSON line makes the commit unreadable', async () => {
    const dir = copy('delta-rs/simple_table');
    fs.appendFileSync(log(dir, `${pad(3)}.json`), '{"add": {"path": broken\n');
    const { code, report } = await validate(dir);
    expect(code).toBe(2);
    expect(failing(report)).toContain('commits_readable');
    const p = byName(report, 'commits_readable').problems;
    expect(p).toHaveLength(1);
    expect(p[0].message).toMatch(/^CorruptCommit: /);
    expect(p[0].file).toContain(`${pad(3)}.json`);
  });

  test('a missing V2 sidecar is an incomplete checkpoint', async () => {
    const dir = copy('delta-rs/checkpoint-v2-table');
    const sidecars = fs.readdirSync(path.join(dir, '_delta_log', '_sidecars'));
    const victim = sidecars.find((s) => s.startsWith(pad(8)))!;
    fs.rmSync(path.join(dir, '_delta_log', '_sidecars', victim));
    const { code, report } = await validate(dir);
    expect(code).toBe(2);
    expect(failing(report)).toContain('checkpoints');
    const p = byName(report, 'checkpoints').problems;
    expect(p).toHaveLength(1);
    expect(`${p[0].file} ${p[0].message}`).toContain(victim);
  });

  test('a multi-part checkpoint with a missing part', async () => {
    const dir = copy('delta-rs/simple_table_with_checkpoint');
    fs.renameSync(
      log(dir, `${pad(10)}.checkpoint.parquet`),
      log(dir, `${pad(10)}.checkpoint.0000000001.0000000002.parquet`),
    );
    fs.rmSync(log(dir, '_last_checkpoint'));
    const { code, report } = await validate(dir);
    expect(code).toBe(2);
    expect(byName(report, 'checkpoints').problems.map((p) => p.message)).toEqual([
      'multi-part checkpoint at version 10 is missing part(s) 2 of 2',
    ]);
  });

  test('a dangling _last_checkpoint', async () => {
    const dir = copy('delta-rs/simple_table_with_checkpoint');
    fs.writeFileSync(log(dir, '_last_checkpoint'), JSON.stringify({ version: 7, size: 3 }));
    const { code, report } = await validate(dir);
    expect(code).toBe(2);
    expect(failing(report)).toEqual(['last_checkpoint']);
    expect(byName(report, 'last_checkpoint').problems[0].message).toBe(
      'points at version 7, but no complete checkpoint exists there',
    );
  });

  test('an unparsable _last_checkpoint', async () => {
    const dir = copy('delta-rs/simple_table_with_checkpoint');
    fs.writeFileSync(log(dir, '_last_checkpoint'), '{"version": ');
    const { code, report } = await validate(dir);
    expect(code).toBe(2);
    expect(failing(report)).toEqual(['last_checkpoint']);
  });

  test('a .crc that disagrees with the snapshot, and one that is unreadable', async () => {
    const dir = copy('delta-rs/cdc_ict_table');
    const crc = JSON.parse(fs.readFileSync(log(dir, `${pad(1)}.crc`), 'utf8')) as { numFiles: number };
    crc.numFiles += 5;
    fs.writeFileSync(log(dir, `${pad(1)}.crc`), JSON.stringify(crc));
    fs.writeFileSync(log(dir, `${pad(2)}.crc`), 'not json');
    const { code, report } = await validate(dir);
    expect(code).toBe(2);
    expect(failing(report)).toEqual(['crc']);
    const p = byName(report, 'crc').problems;
    expect(p.map((x) => path.basename(x.file!))).toEqual([`${pad(1)}.crc`, `${pad(2)}.crc`]);
    expect(p[0].message).toBe(`version 1: numFiles snapshot ${crc.numFiles - 5} vs crc ${crc.numFiles}`);
    expect(p[1].message).toMatch(/^unreadable checksum file/);
  });

  test('no table at all is an error (exit 1)', async () => {
    const empty = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'deltasql-empty-'));
    copies.push(empty);
    const r = await runCli(['validate', empty, '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.type).toBe('TableNotFound');
  });
});

test('versions behind a gap are not crc-checked twice: only the gap is reported', async () => {
  const dir = copy('delta-rs/checkpoint-v2-table');
  fs.rmSync(log(dir, `${pad(3)}.json`));
  const { code, report } = await validate(dir);
  expect(code).toBe(2);
  expect(failing(report)).toEqual(['commits']);
  // 3, 4, 5 cannot be rebuilt (checkpoint at 6 restores 6..9): 7 of 10 .crc files compared.
  expect(byName(report, 'crc').detail).toBe(
    '7 version(s) agree with their .crc (3 skipped: version not reconstructable from the log)',
  );
});
