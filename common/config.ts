/**
 * Process configuration read from the environment, validated once. Everything that talks to
 * Temporal or picks a default catalog goes through here, so env names live in one place.
 */
import { z } from 'zod';

export const DEFAULT_TASK_QUEUE = 'deltasql-import';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_CATALOG_URL = 'sqlite:///./deltasql.db';
/**
 * Import knobs shared by `import`, `sync` and `discover --import`. A batch is one catalog
 * transaction: a file added and removed inside one batch gets its validity range in memory, while
 * one removed in a later batch costs an UPDATE of its add row. 20k actions resolved about twice
 * as many ranges in memory as 5k on the 10k-version benchmark and cut PostgreSQL's CPU by a third;
 * the activity also caps a batch by raw bytes (activities/import-activities.ts) to bound memory.
 * An activity covers a version range of about `actionsPerActivity` actions; each one starts with
 * an unpipelined first read, so fewer, longer activities keep PostgreSQL busier (every batch still
 * commits on its own, so a retried activity loses nothing).
 */
export const DEFAULT_BATCH_SIZE = 20_000;
export const DEFAULT_ACTIONS_PER_ACTIVITY = 250_000;

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default(DEFAULT_NAMESPACE),
  TEMPORAL_UI_URL: z.string().url().optional(),
  DELTASQL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  DELTASQL_CATALOG: z.string().min(1).optional(),
  /** Where the embedded dev server keeps its state and logs. */
  DELTASQL_HOME: z.string().min(1).default('.deltasql'),
  TEMPORAL_BIN: z.string().min(1).optional(),
  /** Ports of the embedded dev server (when TEMPORAL_ADDRESS is unset). */
  DELTASQL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  DELTASQL_DEV_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
});

export type DeltaSqlEnv = z.infer<typeof EnvSchema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): DeltaSqlEnv {
  return EnvSchema.parse({
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS || undefined,
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE || undefined,
    TEMPORAL_UI_URL: env.TEMPORAL_UI_URL || undefined,
    DELTASQL_TASK_QUEUE: env.DELTASQL_TASK_QUEUE || undefined,
    DELTASQL_CATALOG: env.DELTASQL_CATALOG || undefined,
    DELTASQL_HOME: env.DELTASQL_HOME || undefined,
    TEMPORAL_BIN: env.TEMPORAL_BIN || undefined,
    DELTASQL_DEV_PORT: env.DELTASQL_DEV_PORT || undefined,
    DELTASQL_DEV_UI_PORT: env.DELTASQL_DEV_UI_PORT || undefined,
  });
}

/** Where the embedded dev server listens (and where a worker connects when TEMPORAL_ADDRESS is unset). */
export function localTemporalAddress(env: DeltaSqlEnv): string {
  return `127.0.0.1:${env.DELTASQL_DEV_PORT}`;
}

/** Link to a workflow in the Temporal Web UI. */
export function workflowUiLink(env: DeltaSqlEnv, workflowId: string, runId?: string): string {
  const base = (env.TEMPORAL_UI_URL ?? `http://localhost:${env.DELTASQL_DEV_UI_PORT}`).replace(/\/$/, '');
  const ns = encodeURIComponent(env.TEMPORAL_NAMESPACE);
  const wf = encodeURIComponent(workflowId);
  return runId
    ? `${base}/namespaces/${ns}/workflows/${wf}/${runId}/history`
    : `${base}/namespaces/${ns}/workflows/${wf}`;
}
