/**
 * A trivial workflow for the foundation test: proves that a real Worker bundles workflow code and
 * runs it on the Temporal dev server. Imports only from @temporalio/workflow (sandboxed).
 */
import { workflowInfo } from '@temporalio/workflow';

export async function hello(name: string): Promise<string> {
  return `Hello, ${name}! (task queue ${workflowInfo().taskQueue})`;
}
