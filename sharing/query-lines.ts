/**
 * The file lines of a query answer, page by page as NDJSON text: from FileRows on every engine
 * and format, or, for the parquet format on PostgreSQL, from lines the database builds but for
 * their signed URLs (the fast path a 1M-file answer takes). Partition hints prune in SQL.
 */
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import { locateDataFile } from '../delta/data-path';
import { filePagesAt, rowPagesAt } from './file-stream';
import type { SqlCondition } from './predicates';
import {
  PG_QUERY_LINE_TAIL,
  fileLine,
  queryLineFromTail,
  type ResponseFormat,
  type SignFn,
} from './responses';
import { limitPages, type FileRow } from './table-data';

/**
 * File pages at a version, pruned by the hint condition. Hints are best effort (PROTOCOL.md): a
 * condition the database cannot evaluate means no pruning, never a failed query.
 */
async function* prunedPages(
  store: SqlCatalogStore,
  tableId: string,
  version: number,
  where: SqlCondition | null,
  o: { pageRows?: number; withBody: boolean },
): AsyncGenerator<FileRow[]> {
  if (where) {
    const pruned = filePagesAt(store.driver, tableId, version, { where, ...o });
    let first: IteratorResult<FileRow[]> | null = null;
    try {
      first = await pruned.next();
    } catch {
      // fall through to the unpruned list
    }
    if (first !== null) {
      for (let p = first; !p.done; p = await pruned.next()) yield p.value;
      return;
    }
  }
  yield* filePagesAt(store.driver, tableId, version, o);
}

/** NDJSON text of one page of file rows (a promise only where signing is asynchronous). */
export async function pageText(
  rows: readonly FileRow[],
  line: (f: FileRow) => string | Promise<string>,
): Promise<string> {
  let text = '';
  for (const f of rows) {
    const l = line(f);
    text += (typeof l === 'string' ? l : await l) + '\n';
  }
  return text;
}

/**
 * Query lines from FileRows (any engine, any format, limitHint). The first page is read before
 * the status line, so a failing statement is still an error answer.
 */
export async function rowQueryLines(
  store: SqlCatalogStore,
  tableId: string,
  version: number,
  where: SqlCondition | null,
  sign: SignFn,
  o: { format: ResponseFormat; limitHint?: number; pageRows?: number },
): Promise<AsyncGenerator<string>> {
  const format = o.format;
  let pages = prunedPages(store, tableId, version, where, {
    pageRows: o.pageRows,
    withBody: format === 'delta',
  });
  if (o.limitHint !== undefined) pages = limitPages(pages, o.limitHint);
  const first = await pages.next();
  const opts = { format, wrapper: 'file' } as const;
  return (async function* () {
    for (let p = first; !p.done; p = await pages.next())
      yield await pageText(p.value, (f) => fileLine(f, sign, opts));
  })();
}

/** Parquet-format query lines on PostgreSQL, which builds each line but its URL (PG_QUERY_LINE_TAIL). */
export async function pgQueryLines(
  store: SqlCatalogStore,
  tableId: string,
  version: number,
  where: SqlCondition | null,
  sign: SignFn,
  pageRows?: number,
): Promise<AsyncGenerator<string>> {
  const select = { sql: `path, ${PG_QUERY_LINE_TAIL} AS tail`, names: ['path', 'tail'] };
  const pages = (w: SqlCondition | null) =>
    rowPagesAt(store.driver, tableId, version, select, { where: w, pageRows });
  let it = pages(where);
  let first: IteratorResult<unknown[][]>;
  try {
    first = await it.next();
  } catch (e) {
    if (where === null) throw e;
    it = pages(null); // a hint the database cannot evaluate: no pruning (see prunedPages)
    first = await it.next();
  }
  return (async function* () {
    for (let p = first; !p.done; p = await it.next()) {
      let text = '';
      for (const [path, tail] of p.value) {
        const signed = sign(locateDataFile(String(path)));
        text +=
          queryLineFromTail(signed instanceof Promise ? await signed : signed, sign.jsonSafe, String(tail)) +
          '\n';
      }
      yield text;
    }
  })();
}
