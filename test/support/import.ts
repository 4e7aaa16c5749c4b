/** Run a real import workflow on the test harness's worker, the way the CLI does. */
import {
  absoluteSource,
  awaitImport,
  defaultTableName,
  newRunId,
  startImport,
} from '../../client/import-client';
import type { TemporalSession } from '../../client/temporal';
import type { ImportInput, ImportResult } from '../../workflows/types';
import type { TemporalHarness } from './temporal';

export function importInput(source: string, catalog: string, over: Partial<ImportInput> = {}): ImportInput {
  const abs = absoluteSource(source);
  return {
    source: abs,
    catalog,
    name: defaultTableName(abs),
    mode: 'full-history',
    force: false,
    skipValidation: false,
    batchSize: 1000,
    actionsPerActivity: 5000,
    runId: newRunId(),
    ...over,
  };
}

export function sessionOf(h: TemporalHarness): TemporalSession {
  return {
    client: h.client,
    target: { address: h.env.TEMPORAL_ADDRESS ?? '', started: false, embedded: false },
    runsWorker: false,
    withWorker: (work) => work(),
    close: async () => undefined,
  };
}

export async function runImport(
  h: TemporalHarness,
  input: ImportInput,
): Promise<ImportResult & { workflowId: string }> {
  const started = await startImport(sessionOf(h), h.env, input);
  const result = await h.withWorker(() => awaitImport(started, null));
  return { ...result, workflowId: started.workflowId };
}
