/**
 * Waking the publisher from the commit path: signal-with-start of the table's publisher workflow
 * (one per catalog table; the id is derived from catalog and table like the import's), so the
 * first commit after a cutover or a worker restart starts it and later commits only signal it.
 * The workflow input carries the catalog URL without its password (common/credentials.ts).
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { keepPasswordLocally } from '../common/credentials';
import { DeltaSqlError } from '../common/errors';
import { publishSignal, publisherWorkflow, type PublisherInput } from '../workflows/publisher';
import { SA_TABLE } from '../workflows/search-attributes';
import { absoluteCatalog, importWorkflowId } from '../client/import-client';

export interface TemporalTargetOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
}

export function publisherWorkflowId(catalog: string, table: string): string {
  return importWorkflowId(keepPasswordLocally(absoluteCatalog(catalog)), table).replace(
    /^deltasql-import-/,
    'deltasql-publish-',
  );
}

export class PublisherClient {
  private conn: Promise<Connection> | null = null;
  constructor(
    private readonly target: TemporalTargetOptions,
    private readonly catalog: string,
    private readonly defaults: Omit<PublisherInput, 'catalog' | 'table'> = {},
  ) {}

  private async client(): Promise<Client> {
    this.conn ??= Connection.connect({ address: this.target.address, connectTimeout: 5000 });
    try {
      return new Client({ connection: await this.conn, namespace: this.target.namespace ?? 'default' });
    } catch (e) {
      this.conn = null;
      throw new DeltaSqlError(
        'TemporalUnavailable',
        `cannot reach Temporal at ${this.target.address}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  /** Start the table's publisher if it is not running, and tell it there is something to publish. */
  async notify(table: string): Promise<string> {
    const client = await this.client();
    const workflowId = publisherWorkflowId(this.catalog, table);
    const input: PublisherInput = {
      ...this.defaults,
      catalog: keepPasswordLocally(absoluteCatalog(this.catalog)),
      table,
    };
    await client.workflow.signalWithStart(publisherWorkflow, {
      workflowId,
      taskQueue: this.target.taskQueue ?? 'deltasql-import',
      args: [input],
      signal: publishSignal,
      signalArgs: [],
      typedSearchAttributes: [{ key: SA_TABLE, value: table }],
      staticSummary: `publish ${table}`,
    });
    return workflowId;
  }

  /** Wait for the publisher to end (after a rollback drained it); false when none is running. */
  async waitEnded(table: string): Promise<boolean> {
    const client = await this.client();
    try {
      await client.workflow.getHandle(publisherWorkflowId(this.catalog, table)).result();
      return true;
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return false;
      throw e;
    }
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = null;
    if (c) await (await c.catch(() => null))?.close();
  }
}
