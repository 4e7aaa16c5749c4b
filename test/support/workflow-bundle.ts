/**
 * One workflow bundle for the whole test run instead of one webpack run per worker (each took
 * 20-60 s on the shared 2-core machine, in every test file that starts a worker). The bundle is
 * built from the current sources exactly as a worker would build it, and cached under the OS temp
 * dir by a hash of every source the workflows can import at run time (workflows/, common/, delta/)
 * plus the lock file: a changed source gets a fresh bundle, never a stale one. The first test file
 * that needs it builds it; parallel jest workers may both build it once, then rename atomically.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const REPO = path.resolve(__dirname, '..', '..');
const SOURCE_DIRS = ['workflows', 'common', 'delta'];

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return sourceFiles(p);
      return e.name.endsWith('.ts') ? [p] : [];
    })
    .sort();
}

function sourcesHash(): string {
  const h = createHash('sha256');
  const files = [
    ...SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(REPO, d))),
    path.join(REPO, 'package-lock.json'),
    path.join(REPO, 'tsconfig.json'),
  ];
  for (const f of files)
    h.update(path.relative(REPO, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}

let cached: Promise<string> | null = null;

/** The path of a workflow bundle of the current sources (built at most once per source state). */
export function sharedWorkflowBundle(): Promise<string> {
  cached ??= (async () => {
    const file = path.join(os.tmpdir(), `deltasql-test-workflow-bundle-${sourcesHash()}.js`);
    if (fs.existsSync(file)) return file;
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
    return file;
  })();
  return cached;
}
