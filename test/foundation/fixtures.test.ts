/** Fixture-based tests find ../shared/fixtures (or DELTASQL_FIXTURES) and fail, not skip, in CI. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allFixtureTables, fixturesRoot } from '../support/env';

test('with CI=true, a missing fixtures directory is an error naming it', () => {
  const saved = { ...process.env };
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-nofx-'));
  Object.assign(process.env, { CI: 'true', DELTASQL_FIXTURES: empty });
  try {
    expect(() => fixturesRoot()).toThrow(`Delta fixtures not found at ${empty}`);
  } finally {
    process.env = saved;
  }
});

test('the Delta fixtures are present when CI=true (and wherever ../shared is beside the repo)', () => {
  const sharedBeside = fs.existsSync(path.resolve(__dirname, '../../../shared/fixtures'));
  if (process.env.CI !== 'true' && !sharedBeside && !process.env.DELTASQL_FIXTURES) return;
  const root = fixturesRoot();
  expect(fs.existsSync(path.join(root, 'delta/delta-rs'))).toBe(true);
  expect(fs.existsSync(path.join(root, 'delta/golden'))).toBe(true);
  expect(allFixtureTables().length).toBeGreaterThanOrEqual(100);
});
