/**
 * `deltasql discover --import`: start one parent workflow that imports every Delta table found,
 * each as a child under the table's fixed import id, with bounded parallelism.
 */
import { createHash } from 'node:crypto';
import { workflowUiLink, type DeltaSqlEnv } from '../common/config';
import { keepPasswordLocally, passwordNotSendable } from '../common/credentials';
import { urlPassword } from '../catalog/url';
import type { DiscoveredTable } from '../parity/discover';
import { discoverImportProgressQuery, discoverImportWorkflow } from '../workflows';
import type { DiscoverImportResult } from '../workflows/discover-import';
import type { ImportInput } from '../workflows/types';
import { absoluteSource, importWorkflowId, newRunId } from './import-client';
import type { TemporalSession } from './temporal';

export interface DiscoverImportOptions {
  root: string;
  catalog: string;
  mode: ImportInput['mode'];
  parallelism: number;
  skipValidation: boolean;
  batchSize: number;
  actionsPerActivity: number;
}

/** Catalog table name for a discovered table: its path under the root, or the root's last segment. */
export function discoveredName(root: string, t: DiscoveredTable): string {
  if (t.path !== '') return t.path;
  const trimmed = absoluteSource(root).replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || 'table';
}

export async function runDiscoverImport(
  session: TemporalSession,
  env: DeltaSqlEnv,
  tables: DiscoveredTable[],
  o: DiscoverImportOptions,
  log: (line: string) => void,
): Promise<DiscoverImportResult & { workflowId: string; uiLink: string }> {
  if (urlPassword(o.catalog) !== null && !session.runsWorker)
    throw passwordNotSendable(o.catalog, 'the imports would run on workers this command does not control');
  const catalog = keepPasswordLocally(o.catalog);
  const delta = tables.filter((t) => t.kind === 'delta' && t.error === null);
  const children = delta.map((t) => {
    const input: ImportInput = {
      source: absoluteSource(t.uri),
      catalog,
      name: discoveredName(o.root, t),
      mode: o.mode,
      force: false,
      skipValidation: o.skipValidation,
      batchSize: o.batchSize,
      actionsPerActivity: o.actionsPerActivity,
      runId: newRunId(),
    };
    return { input, workflowId: importWorkflowId(catalog, input.name) };
  });
  const hash = createHash('sha256')
    .update(`${catalog}\n${absoluteSource(o.root)}`)
    .digest('hex')
    .slice(0, 12);
  const workflowId = `deltasql-discover-import-${hash}`;
  const uiLink = workflowUiLink(env, workflowId);
  const handle = await session.client.workflow.start(discoverImportWorkflow, {
    workflowId,
    taskQueue: env.DELTASQL_TASK_QUEUE,
    args: [{ tables: children, parallelism: o.parallelism }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `discover --import ${o.root} (${children.length} tables)`,
  });
  log(`Importing ${children.length} table(s) with parallelism ${o.parallelism}: ${uiLink}`);
  const result = await session.withWorker(async () => {
    const done = handle.result();
    let finished = false;
    void done.finally(() => (finished = true)).catch(() => undefined);
    while (!finished) {
      const p = await handle.query(discoverImportProgressQuery).catch(() => null);
      if (p) log(`  ${p.done}/${p.total} done, ${p.running} running`);
      await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    }
    return done;
  });
  return { ...result, workflowId, uiLink };
}
