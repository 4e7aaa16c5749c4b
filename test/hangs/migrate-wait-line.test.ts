/**
 * The `catalog migrate` waiting line names the lost catalog by its role and masks its password
 * (client/migrate-wait.ts), whichever way the worker spelled the URL in its failure: with the
 * password masked (the CLI's in-process worker had it) or without one (the worker read PGPASSWORD).
 * Schemas that are prefixes of each other are told apart.
 */
import { catalogRole, migrationWaitLine } from '../../client/migrate-wait';

const roles = [
  { role: 'source', url: 'postgresql://u:S3cret@db.example:5999/cat?schema=a' },
  { role: 'target', url: 'postgresql://u:S3cret@db.example:5999/cat?schema=ab' },
];

test.each([
  [
    'PostgreSQL catalog postgresql://u:***@db.example:5999/cat?schema=ab: connect ECONNREFUSED 10.0.0.1:5999',
    'target',
  ],
  [
    'PostgreSQL catalog postgresql://u@db.example:5999/cat?schema=a: Connection terminated unexpectedly',
    'source',
  ],
  ['cannot connect to catalog postgresql://u@db.example:5999/cat?schema=ab: connect ECONNREFUSED', 'target'],
])('%s -> the %s catalog, password masked', (message, role) => {
  expect(catalogRole(message, roles)?.role).toBe(role);
  const line = migrationWaitLine({ attempt: 3, message }, roles);
  const reason = /terminated/.test(message) ? 'connection lost' : 'connection refused';
  const schema = role === 'source' ? 'a' : 'ab';
  expect(line).toBe(
    `waiting for ${role} catalog postgresql://u:***@db.example:5999/cat?schema=${schema}: ${reason} (attempt 3, retrying)`,
  );
  expect(line).not.toContain('S3cret');
});

test('a failure naming neither catalog names both, masked', () => {
  const line = migrationWaitLine({ attempt: 2, message: 'connect ETIMEDOUT' }, roles);
  expect(line).toBe(
    'waiting for catalog postgresql://u:***@db.example:5999/cat?schema=a or postgresql://u:***@db.example:5999/cat?schema=ab: connection timed out (attempt 2, retrying)',
  );
});
