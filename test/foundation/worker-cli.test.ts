/**
 * `deltasql worker` validates its options before touching V8 or Temporal: a bad `--heap-growth`
 * is an InvalidArgument with exit code 1, and the worker never starts.
 */
import { runCli } from '../support/run-cli';

test.each([['5000'], ['-1'], ['abc'], ['1.5']])('--heap-growth %s is refused with exit 1', async (value) => {
  const r = await runCli(['worker', '--heap-growth', value, '--task-queue', 'never-started']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/InvalidArgument/);
});
