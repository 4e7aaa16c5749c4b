/**
 * Partial imports are kept (seed 001: "partial import is valid"): a 14-version table whose
 * version 9 is corrupt, imported in ONE batch, keeps versions 0..8 and fails with CorruptCommit
 * naming the file and line; once the file is fixed, the next import resumes at 9. Real Temporal,
 * both engines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { DeltaSqlError } from '../../common/errors';
import { commitPath } from '../../delta/log-path';
import { PG_URL } from '../support/env';
import { importInput, runImport } from '../support/import';
import { expectParityAtEveryVersion } from '../support/parity';
import { integrationSuite } from '../support/suite';
import { dropPgSchema } from '../catalog/helpers';

const suite = integrationSuite('partial');
const pgSchema = `partial_${process.pid}`;

afterAll(async () => {
  await dropPgSchema(pgSchema);
});

test.each([
  ['sqlite', () => `sqlite:///${path.join(suite.tmp, 'partial.db')}`],
  ['postgres', () => `${PG_URL}?schema=${pgSchema}`],
])(
  '%s: versions before a corrupt version 9 are committed; the next import resumes at 9',
  async (engine, url) => {
    const dir = path.join(suite.tmp, `table-${engine}`);
    await generateTable({
      dir,
      versions: 14,
      addsPerVersion: 3,
      removesPerVersion: 1,
      checkpointInterval: 0,
      seed: 3,
    });
    const bad = path.join(dir, commitPath(9));
    const good = fs.readFileSync(bad);
    const lines = good.toString('utf8').split('\n');
    fs.writeFileSync(bad, [lines[0], '{"add": {"path": "x", "size": ', ...lines.slice(1)].join('\n'));
    // One batch (and one activity) covers every version: before the fix the whole batch was lost.
    const input = importInput(dir, url(), {
      name: `partial-${engine}`,
      batchSize: 100_000,
      actionsPerActivity: 100_000,
    });
    const err = await runImport(suite.h, input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeltaSqlError);
    expect((err as DeltaSqlError).type).toBe('CorruptCommit');
    expect((err as DeltaSqlError).message).toContain(`${'9'.padStart(20, '0')}.json at line 2`);
    const store = await suite.open(url());
    const row = await store.findTable(input.name);
    expect(row?.lastVersion).toBe(8);
    expect(await expectParityAtEveryVersion(store, row!.tableId, dir)).toBe(9);

    fs.writeFileSync(bad, good);
    const again = await runImport(suite.h, { ...input, runId: `${input.runId}-2` });
    expect(again.startVersion).toBe(9);
    expect(again.versionsImported).toBe(5);
    expect(again.validation?.passed).toBe(true);
    expect((await store.findTable(input.name))?.lastVersion).toBe(13);
    expect(await expectParityAtEveryVersion(store, row!.tableId, dir)).toBe(14);
  },
);
