/** `node dist/workers/bundle.js` (run by `npm run build`): prebuild the workflow bundle for production workers. */
import * as fs from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH } from './worker';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') });
  fs.writeFileSync(WORKFLOW_BUNDLE_PATH, code);
  process.stdout.write(`workflow bundle: ${WORKFLOW_BUNDLE_PATH} (${code.length} bytes)\n`);
}

void main().catch((e) => {
  process.stderr.write(`bundling failed: ${String(e)}\n`);
  process.exit(1);
});
