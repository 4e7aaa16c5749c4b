/**
 * The internal starters strip the catalog password themselves, whatever their caller hands them:
 * an import through startImport (test/support/import.ts `runImport`, as tests and benchmarks
 * start one) with DELTASQL_TEST_PG_URL, password included, leaves it out of the decoded history
 * and description while the in-process worker still finds it (kept locally, no PGPASSWORD); a
 * sync schedule created from an input that still has a password stores the URL without it.
 */
import { stripPassword } from '../../catalog/url';
import { importWorkflowId } from '../../client/import-client';
import { createSyncSchedule, scheduleOp, syncInput } from '../../client/sync-client';
import { dropPgSchema, pgUrl, uniqueSchema } from '../catalog/helpers';
import { fixture, PG_URL } from '../support/env';
import { importInput, runImport } from '../support/import';
import { integrationSuite } from '../support/suite';
import { temporalDecoded } from '../support/temporal-cli';

const suite = integrationSuite('sec-internal');
const schema = uniqueSchema('secint');
const catalog = pgUrl(schema);
const source = fixture('delta-rs/simple_table');
/** As written in the URL (percent-encoded). */
const password = new URL(PG_URL).password;
const savedPgPassword = process.env.PGPASSWORD;

beforeAll(() => {
  delete process.env.PGPASSWORD; // the worker must find the password kept by this process
});

afterAll(async () => {
  if (savedPgPassword !== undefined) process.env.PGPASSWORD = savedPgPassword;
  await dropPgSchema(schema);
});

/**
 * The default test role's password is its name ("deltasql", also the database's prefix), so the
 * bare word appears legitimately: what must not appear is the URL's userinfo with the password.
 */
function expectNoPassword(shown: string): void {
  expect(shown).not.toContain(`:${password}@`);
  expect(shown).not.toContain(PG_URL);
}

test('runImport with DELTASQL_TEST_PG_URL: the import succeeds and its history never holds the password', async () => {
  expect(password).not.toBe('');
  const r = await runImport(suite.h, importInput(source, catalog, { name: 'internal_simple' }));
  expect(r).toMatchObject({ versionsImported: 5, validation: { passed: true } });
  // The id is the stripped URL's, as `deltasql import` computes it (attach semantics unchanged).
  expect(r.workflowId).toBe(importWorkflowId(stripPassword(catalog), 'internal_simple'));
  const history = temporalDecoded('workflow', 'show', '--workflow-id', r.workflowId);
  const description = temporalDecoded('workflow', 'describe', '--workflow-id', r.workflowId);
  // The check can fail: the input does name the catalog, only without its password.
  expect(history).toContain(stripPassword(catalog));
  expectNoPassword(history);
  expectNoPassword(description);
}, 120_000);

test('a sync schedule created from an input that still has the password stores the URL without it', async () => {
  const input = { ...syncInput({ source, catalog, name: 'sched_internal' }), catalog };
  const { scheduleId } = await createSyncSchedule(suite.h.client, suite.h.env, input, 3_600_000, {
    paused: true,
  });
  try {
    const d = temporalDecoded('schedule', 'describe', '--schedule-id', scheduleId);
    expect(d).toContain(stripPassword(catalog));
    expectNoPassword(d);
  } finally {
    await scheduleOp(suite.h.client, scheduleId, 'delete');
  }
});
