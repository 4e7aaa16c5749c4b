/**
 * Start (or attach to) the import workflow for one (catalog, table). The workflow id is derived
 * from the catalog and the table name, so a second `deltasql import` of the same table attaches
 * to the running one instead of becoming a second writer.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { sendableInput } from '../common/credentials';
import { DeltaSqlError, type DeltaSqlErrorType } from '../common/errors';
import { workflowUiLink, type DeltaSqlEnv } from '../common/config';
import { importTableWorkflow, progressQuery } from '../workflows';
import type { ImportInput, ImportResult } from '../workflows/types';
import { refuseSecretInUri } from '../storage/uri';
import type { TemporalSession } from './temporal';
import type { ProgressView } from './progress';

const POLL_MS = 500;

/**
 * Local paths and file:// become absolute, so a worker in another directory reads the same table.
 * A URI with a secret in it (SAS query, password) is refused: it would enter the workflow input.
 */
export function absoluteSource(uri: string): string {
  refuseSecretInUri(uri);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri;
  return path.resolve(uri);
}

/** sqlite:///relative.db is resolved against the CLI's cwd (workers may run elsewhere). */
export function absoluteCatalog(url: string): string {
  const m = /^sqlite:\/\/\/(.*)$/.exec(url);
  if (!m || m[1].startsWith('/')) return url;
  return `sqlite:///${path.resolve(m[1])}`;
}

/** Default table name: the last path segment of the source. */
export function defaultTableName(source: string): string {
  const trimmed = source.replace(/\/+$/, '');
  return decodeURIComponent(trimmed.slice(trimmed.lastIndexOf('/') + 1)) || 'table';
}

export function importWorkflowId(catalogUrl: string, name: string): string {
  const redacted = catalogUrl.replace(/\/\/([^/@]*)@/, '//');
  const hash = createHash('sha256').update(`${redacted}\n${name}`).digest('hex').slice(0, 12);
  const slug = name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  return `deltasql-import-${slug}-${hash}`;
}

export function newRunId(): string {
  return randomUUID();
}

export interface StartedImport {
  handle: WorkflowHandle<typeof importTableWorkflow>;
  workflowId: string;
  attached: boolean;
  uiLink: string;
  /** Run id of the execution this call started (null when attached to a running one). */
  firstRunId: string | null;
}

/**
 * The catalog URL loses its password here whoever calls (common/credentials.ts `sendableInput`):
 * this process keeps it for its own in-process worker; other workers need their own (PGPASSWORD,
 * a password file, DELTASQL_CATALOGS). The id is the stripped URL's, as `deltasql import` computes
 * it, so a caller with the password attaches to the CLI's import of the same table and back.
 */
export async function startImport(
  session: TemporalSession,
  env: DeltaSqlEnv,
  given: ImportInput,
): Promise<StartedImport> {
  const input = sendableInput(given);
  const workflowId = importWorkflowId(input.catalog, input.name);
  const uiLink = workflowUiLink(env, workflowId);
  try {
    const handle = await session.client.workflow.start(importTableWorkflow, {
      workflowId,
      taskQueue: env.DELTASQL_TASK_QUEUE,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `import ${input.name} (${input.mode})`,
      staticDetails: `**source** \`${input.source}\`\n\n**mode** ${input.mode}${input.upToVersion !== undefined ? `, up to version ${input.upToVersion}` : ''}`,
    });
    return { handle, workflowId, attached: false, uiLink, firstRunId: handle.firstExecutionRunId };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        handle: session.client.workflow.getHandle<typeof importTableWorkflow>(workflowId),
        workflowId,
        attached: true,
        uiLink,
        firstRunId: null,
      };
    }
    throw e;
  }
}

/**
 * Wait for the result while feeding the progress view from the `progress` query. While planning,
 * the pending `checkCatalog` activity tells whether (and why) the workflow waits for the catalog;
 * later the query itself does (`catalogWait`, a catalog gone mid-import).
 */
export async function awaitImport(
  started: StartedImport,
  view: ProgressView | null,
  catalogDisplay = 'catalog',
): Promise<ImportResult> {
  let finished = false;
  /** Ends the poll's sleep at once when the result is in, so the import's wall time never includes it. */
  let wake = (): void => undefined;
  const poll = (async () => {
    // With nothing to show, no progress queries: each is a query task the worker answers between
    // the import's own workflow tasks (one at once at the start, then every POLL_MS; issue 21).
    while (view && !finished) {
      try {
        const p = await started.handle.query(progressQuery);
        const waiting = p.catalogWait
          ? waitingLine(catalogDisplay, p.catalogWait.message, p.catalogWait.attempt)
          : p.phase === 'planning' && view
            ? await catalogWait(started, catalogDisplay)
            : null;
        if (waiting) view?.status(waiting);
        else view?.update(p);
      } catch {
        /* the workflow may be between runs (continue-as-new) or not started yet */
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  try {
    return await started.handle.result();
  } catch (e) {
    throw unwrapFailure(e);
  } finally {
    finished = true;
    wake();
    await poll;
    view?.stop();
  }
}

/** Attempts after which a running workflow's activity counts as stuck when another import attaches. */
const STUCK_ATTEMPTS = 3;

/**
 * Why an import one attaches to looks stuck (an activity failing again and again), or null: the
 * attaching CLI says so instead of silently waiting on it.
 */
export async function stuckReason(started: StartedImport): Promise<string | null> {
  const d = await started.handle.describe().catch(() => null);
  const stuck = d?.raw.pendingActivities?.find((a) => (a.attempt ?? 0) >= STUCK_ATTEMPTS && a.lastFailure);
  if (!stuck) return null;
  return `its ${stuck.activityType?.name ?? 'activity'} has failed ${(stuck.attempt ?? 1) - 1} times (last: ${stuck.lastFailure?.message ?? '?'})`;
}

/** `waiting for catalog <url>: connection refused (attempt 4, retrying)`, or null when not waiting. */
export async function catalogWait(started: StartedImport, catalogDisplay: string): Promise<string | null> {
  const d = await started.handle.describe();
  const pending = d.raw.pendingActivities?.find((a) => a.activityType?.name === 'checkCatalog');
  const attempt = pending?.attempt ?? 0;
  const message = pending?.lastFailure?.message;
  if (!message || attempt < 2) return null;
  return waitingLine(catalogDisplay, message, attempt);
}

/** The one `waiting for catalog …` line (import, export, migrate). */
export function waitingLine(
  catalogDisplay: string,
  message: string,
  attempt: number,
  what = 'catalog',
): string {
  return `waiting for ${what} ${catalogDisplay}: ${unavailableReason(message)} (attempt ${attempt}, retrying)`;
}

const REASONS: [RegExp, string][] = [
  [/ECONNREFUSED/, 'connection refused'],
  [/EHOSTUNREACH/, 'host unreachable'],
  [/ENETUNREACH/, 'network unreachable'],
  [/ENOTFOUND|EAI_AGAIN/, 'host not found'],
  [/ETIMEDOUT|timeout/i, 'connection timed out'],
  [/ECONNRESET|Connection terminated|not queryable/, 'connection lost'],
];

function unavailableReason(message: string): string {
  for (const [re, reason] of REASONS) if (re.test(message)) return reason;
  return message.replace(/^cannot connect to catalog \S+: /, '');
}

/** Turn a WorkflowFailedError into our typed error, keeping the activity's error type and message. */
export function unwrapFailure(e: unknown): unknown {
  if (!(e instanceof WorkflowFailedError)) return e;
  if (e.cause instanceof CancelledFailure) {
    return new DeltaSqlError('Cancelled', 'the import workflow was cancelled', { cause: e });
  }
  let cur: unknown = e.cause;
  while (cur instanceof Error) {
    if (cur instanceof ApplicationFailure && cur.type) {
      return new DeltaSqlError(cur.type as DeltaSqlErrorType, cur.message, { cause: e });
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return e;
}
