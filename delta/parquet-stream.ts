/**
 * Rows of a parquet file in bounded batches, read through ranged reads. hyparquet's own readers
 * fetch and decode a whole column chunk at once (a row slice inside a row group still decodes every
 * page of a nested column), so a checkpoint written as one 1M-row row group would be materialised
 * whole. Here every column chunk is read page by page through a small moving window, and rows are
 * assembled (with hyparquet's own Dremel assembly, so values are identical to parquetReadObjects)
 * as soon as every column has decoded them. Memory: about one page per column plus one batch.
 */
import { parquetMetadataAsync, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, Compressors, DecodedArray, FileMetaData, PageHeader, SchemaTree } from 'hyparquet';
import {
  type ColumnDecoder,
  DEFAULT_PARSERS,
  assembleLists,
  assembleNested,
  convert,
  convertWithDictionary,
  decompressPage,
  getMaxDefinitionLevel,
  getMaxRepetitionLevel,
  readDataPage,
  readDataPageV2,
  getTreePath,
  isFlatColumn,
  parquetHeader,
  readPage,
} from './hyparquet-internals';

/** Random access to the bytes of one file: whole-file buffer or ranged object-store reads. */
export interface ByteSource {
  readonly size: number;
  /** Bytes [start, end); may return fewer only at end of file. */
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Rows per yielded batch: large enough to amortise assembly, small enough to bound memory. */
export const DEFAULT_BATCH_ROWS = 10_000;
/** Bytes fetched per refill of a column's window (pages larger than this are fetched whole). */
export const DEFAULT_WINDOW_BYTES = 4 << 20;
/** First guess at a page header's size; grown when a header (with statistics) is larger. */
const DEFAULT_HEADER_PROBE_BYTES = 64 << 10;
/** No sane page header is this large; stop widening (corrupt data) instead of reading the chunk. */
const MAX_HEADER_BYTES = 16 << 20;

/** One top-level column of a row batch, before assembly into row values. */
export interface ColumnBatch {
  name: string;
  schema: SchemaTree;
  /**
   * Per-row values of every leaf column under it, by dotted path, nested as hyparquet's
   * assembleLists nests them; null when the column is null in every row of the batch.
   */
  leaves: Map<string, DecodedArray> | null;
}

/** Turns the columns of a batch into its n rows. */
export type BatchAssembler = (columns: readonly ColumnBatch[], n: number) => Record<string, unknown>[];

export interface RowBatchOptions {
  compressors?: Compressors;
  batchRows?: number;
  /** Row assembly; default: hyparquet's, so rows equal parquetReadObjects' rows. */
  assemble?: BatchAssembler;
  /**
   * Top-level columns whose non-repeated leaves `assemble` takes as value-or-Missing cells
   * (see Missing) rather than hyparquet's nested rows. Only for a custom `assemble`.
   */
  flatLeaves?: (topLevel: SchemaTree) => boolean;
  /** Adjust a leaf's decoder (e.g. keep some typed values raw); default: hyparquet's conversions. */
  decoder?: (d: ColumnDecoder) => ColumnDecoder;
  /**
   * Top-level columns to read (projection); default every column. Chunks of other columns are
   * never fetched; with none left, batches still carry the right number of (empty) rows.
   */
  columns?: ReadonlySet<string>;
  /** Tests shrink these to exercise window refills and split page headers. */
  windowBytes?: number;
  headerProbeBytes?: number;
}

/** hyparquet AsyncBuffer over a ByteSource, for footer parsing. */
export function asAsyncBuffer(src: ByteSource): AsyncBuffer {
  return {
    byteLength: src.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const u = await src.read(start, end ?? src.size);
      if (u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && u.buffer instanceof ArrayBuffer) {
        return u.buffer;
      }
      // A copy: Buffer's slice() is a view, whose .buffer is the whole (pooled) backing store.
      return new Uint8Array(u).buffer;
    },
  };
}

export async function readParquetMetadata(src: ByteSource): Promise<FileMetaData> {
  return parquetMetadataAsync(asAsyncBuffer(src));
}

/**
 * A non-repeated leaf's cell in value-or-Missing mode (RowBatchOptions.flatLeaves): the value when
 * defined, else the definition level it stopped at. One shared instance per level, so a null cell
 * costs nothing, unlike the per-row wrapper arrays of hyparquet's assembly.
 */
export class Missing {
  private static readonly levels: Missing[] = [];
  private constructor(readonly def: number) {}
  static at(def: number): Missing {
    return (Missing.levels[def] ??= new Missing(def));
  }
}

/** Decoded rows of a column: per-row values, or a run of rows whose top-level struct is null. */
type Segment = { values: unknown[] } | { nulls: number };
const segLength = (s: Segment): number => ('nulls' in s ? s.nulls : s.values.length);

/**
 * One column chunk, decoded page by page into per-row values (nested lists for repeated leaves).
 * Pages whose rows are all null at the top level (most columns of a checkpoint: a row holds one
 * action) are kept as a count, not as a million empty containers.
 */
class ColumnStream {
  /** Pending rows; `head` rows of the first segment are already handed out. */
  private segments: Segment[] = [];
  private head = 0;
  private pending = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart: number;
  private pos: number;
  private dictionary: DecodedArray | undefined;
  private rowsDecoded = 0;
  private readonly repeated: boolean;
  private readonly flat: boolean;
  private readonly maxDefinition: number;

  constructor(
    private readonly src: ByteSource,
    start: number,
    private readonly end: number,
    readonly decoder: ColumnDecoder,
    private readonly groupRows: number,
    private readonly windowBytes: number,
    private readonly headerProbeBytes: number,
    /** Cells as value-or-Missing instead of hyparquet's nested rows (non-repeated leaves only). */
    private readonly valueOrMissing = false,
  ) {
    this.bufStart = start;
    this.pos = start;
    this.repeated = getMaxRepetitionLevel(decoder.schemaPath) > 0;
    this.flat = isFlatColumn(decoder.schemaPath);
    this.maxDefinition = getMaxDefinitionLevel(decoder.schemaPath);
  }

  get name(): string {
    return this.decoder.pathInSchema.join('.');
  }

  private get done(): boolean {
    // Same end test as hyparquet's readColumn.
    return this.flat ? this.rowsDecoded >= this.groupRows || this.pos >= this.end : this.pos >= this.end - 1;
  }

  /** Rows fully decoded: the last one of a repeated column may continue on the next page. */
  complete(): number {
    const last = this.segments[this.segments.length - 1];
    const open = this.repeated && !this.done && last !== undefined && 'values' in last;
    return open && this.pending > 0 ? this.pending - 1 : this.pending;
  }

  async fill(rows: number): Promise<void> {
    while (this.complete() < rows && !this.done) await this.nextPage();
  }

  /** Are the next n rows all null at the top level? */
  nullAhead(n: number): boolean {
    let seen = 0;
    for (let i = 0; i < this.segments.length && seen < n; i++) {
      const s = this.segments[i];
      if (!('nulls' in s)) return false;
      seen += s.nulls - (i === 0 ? this.head : 0);
    }
    return seen >= n;
  }

  /** Hand out n rows (nulls materialised exactly as hyparquet assembles them), or just skip them. */
  take(n: number, materialise = true): unknown[] {
    const out: unknown[] = [];
    let left = n;
    while (left > 0) {
      const s = this.segments[0];
      const k = Math.min(left, segLength(s) - this.head);
      if (materialise) {
        if ('nulls' in s) this.nullRows(out, k);
        else for (let i = this.head; i < this.head + k; i++) out.push(s.values[i]);
      }
      this.head += k;
      left -= k;
      if (this.head === segLength(s)) {
        this.segments.shift();
        this.head = 0;
      }
    }
    this.pending -= n;
    return out;
  }

  private nullRows(out: unknown[], k: number): void {
    if (this.valueOrMissing) {
      for (let i = 0; i < k; i++) out.push(Missing.at(0));
      return;
    }
    const zeros = new Array<number>(k).fill(0);
    assembleLists(out, zeros, zeros, [], this.decoder.schemaPath);
  }

  private push(values: unknown[], rows: number): void {
    const last = this.segments[this.segments.length - 1];
    if (!last || !('values' in last) || last.values !== values) this.segments.push({ values });
    this.pending += rows;
    this.rowsDecoded += rows;
  }

  private pushNulls(rows: number): void {
    const last = this.segments[this.segments.length - 1];
    if (last && 'nulls' in last) last.nulls += rows;
    else this.segments.push({ nulls: rows });
    this.pending += rows;
    this.rowsDecoded += rows;
  }

  /** Make [pos, pos + n) resident (clipped to the chunk end). */
  private async ensure(n: number): Promise<void> {
    const want = Math.min(this.end, this.pos + n);
    if (want <= this.bufStart + this.buf.byteLength) return;
    this.buf = new Uint8Array(0);
    const to = Math.min(this.end, this.pos + Math.max(n, this.windowBytes));
    this.buf = await this.src.read(this.pos, to);
    this.bufStart = this.pos;
    if (this.buf.byteLength < want - this.pos) {
      throw new Error(`column ${this.name}: file ends at byte ${this.pos + this.buf.byteLength}`);
    }
  }

  private view(): DataView {
    return new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  private async header(): Promise<PageHeader> {
    let probe = this.headerProbeBytes;
    for (;;) {
      await this.ensure(probe);
      const reader = { view: this.view(), offset: this.pos - this.bufStart };
      try {
        const header = parquetHeader(reader);
        this.pos = this.bufStart + reader.offset;
        return header;
      } catch (e) {
        // A header cut off by the window end fails to parse: widen the window and retry.
        if (this.bufStart + this.buf.byteLength >= this.end || probe >= MAX_HEADER_BYTES) throw e;
        probe *= 4;
      }
    }
  }

  private async nextPage(): Promise<void> {
    const header = await this.header();
    await this.ensure(header.compressed_page_size);
    const at = this.buf.byteOffset + this.pos - this.bufStart;
    const bytes = new Uint8Array(this.buf.buffer, at, header.compressed_page_size);
    this.pos += header.compressed_page_size;
    const d = this.decoder;
    if (header.type === 'DICTIONARY_PAGE') {
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
      const { data } = readPage(reader, header, d, undefined, undefined, 0);
      if (data) this.dictionary = convert(data, d);
      return;
    }
    // The body of hyparquet's readPage, with an all-null shortcut before value assembly.
    let page;
    let encoding;
    if (header.type === 'DATA_PAGE' && header.data_page_header) {
      const raw = decompressPage(bytes, Number(header.uncompressed_page_size), d.codec, d.compressors);
      page = readDataPage(raw, header.data_page_header, d);
      encoding = header.data_page_header.encoding;
    } else if (header.type === 'DATA_PAGE_V2' && header.data_page_header_v2) {
      page = readDataPageV2(bytes, header, d);
      encoding = header.data_page_header_v2.encoding;
    } else {
      throw new Error(`column ${this.name}: unsupported page type ${header.type}`);
    }
    const { definitionLevels: defs, repetitionLevels: reps, dataPage } = page;
    if (this.maxDefinition > 0 && defs && defs.length > 0 && defs.every((x) => x === 0)) {
      // Null at the top: no value, no repetition; each level is one row.
      this.pushNulls(defs.length);
      return;
    }
    const values = convertWithDictionary(dataPage, this.dictionary, encoding, d);
    if (this.valueOrMissing) {
      const max = this.maxDefinition;
      if (!defs || defs.length === 0) {
        this.push(Array.from(values as ArrayLike<unknown>), values.length);
        return;
      }
      const cells: unknown[] = new Array(defs.length);
      let vi = 0;
      for (let i = 0; i < defs.length; i++) cells[i] = defs[i] === max ? values[vi++] : Missing.at(defs[i]);
      this.push(cells, cells.length);
      return;
    }
    const last = this.segments[this.segments.length - 1];
    // Only a row continued from the previous page (repetition level > 0) extends its array, so
    // every page gets its own array and consumed pages are dropped whole.
    const continues = this.repeated && reps.length > 0 && reps[0] > 0 && last && 'values' in last;
    const output = continues ? last.values : [];
    const before = output.length;
    const data = assembleLists(output, defs, reps, values, d.schemaPath);
    if (data === output) this.push(output, output.length - before);
    else this.push(Array.from(data as ArrayLike<unknown>), data.length);
  }
}

interface TopColumn {
  name: string;
  schema: SchemaTree;
  streams: ColumnStream[];
}

/** Top-level columns in schema order (the key order of hyparquet's row objects). */
function topColumns(schema: SchemaTree, streams: ColumnStream[]): TopColumn[] {
  const out: TopColumn[] = [];
  for (const child of schema.children) {
    const mine = streams.filter((s) => s.decoder.pathInSchema[0] === child.element.name);
    if (mine.length > 0) out.push({ name: child.element.name, schema: child, streams: mine });
  }
  return out;
}

/** hyparquet's values of one top-level column (undefined when null in every row). Consumes `leaves`. */
export function assembleColumn(c: ColumnBatch): DecodedArray | undefined {
  if (!c.leaves) return undefined;
  if (c.schema.children.length === 0) return c.leaves.get(c.name);
  assembleNested(c.leaves, c.schema, DEFAULT_PARSERS);
  const assembled = c.leaves.get(c.name);
  if (!assembled) throw new Error(`column ${c.name} not assembled`);
  return assembled;
}

/** Rows exactly as hyparquet's parquetReadObjects builds them. */
function assembleRows(columns: readonly ColumnBatch[], n: number): Record<string, unknown>[] {
  const data = columns.map(assembleColumn);
  const rows: Record<string, unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (let j = 0; j < columns.length; j++) row[columns[j].name] = data[j]?.[i];
    rows[i] = row;
  }
  return rows;
}

/** Take the next n rows of every column, leaving all-null top-level structs unmaterialised. */
function takeBatch(columns: TopColumn[], n: number): ColumnBatch[] {
  return columns.map((c) => {
    // A top-level struct that is null in every row of the batch: hyparquet yields undefined.
    if (c.schema.children.length > 0 && c.streams.every((s) => s.nullAhead(n))) {
      for (const s of c.streams) s.take(n, false);
      return { name: c.name, schema: c.schema, leaves: null };
    }
    const leaves = new Map<string, DecodedArray>();
    for (const s of c.streams) leaves.set(s.name, s.take(n));
    return { name: c.name, schema: c.schema, leaves };
  });
}

/** Row batches of the whole file, in row order. Errors are plain Errors naming rows/columns. */
export async function* parquetRowBatches(
  src: ByteSource,
  metadata: FileMetaData,
  opts: RowBatchOptions = {},
): AsyncGenerator<Record<string, unknown>[]> {
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
  const windowBytes = opts.windowBytes ?? DEFAULT_WINDOW_BYTES;
  const headerProbeBytes = opts.headerProbeBytes ?? DEFAULT_HEADER_PROBE_BYTES;
  const assemble = opts.assemble ?? assembleRows;
  const schema = parquetSchema(metadata);
  let groupStart = 0;
  for (const rg of metadata.row_groups) {
    const groupRows = Number(rg.num_rows);
    const chunks = opts.columns
      ? rg.columns.filter((c) => opts.columns?.has(c.meta_data?.path_in_schema[0] ?? '') ?? true)
      : rg.columns;
    const streams = chunks.map((chunk) => {
      const meta = chunk.meta_data;
      if (chunk.file_path) throw new Error('column chunks in external files are not supported');
      if (!meta) throw new Error('column chunk without metadata');
      const schemaPath = getTreePath(schema, meta.path_in_schema);
      const base: ColumnDecoder = {
        pathInSchema: meta.path_in_schema,
        element: schemaPath[schemaPath.length - 1].element,
        schemaPath,
        compressors: opts.compressors,
        ...meta,
        parsers: DEFAULT_PARSERS,
      };
      const decoder = opts.decoder ? opts.decoder(base) : base;
      const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
      const end = start + Number(meta.total_compressed_size);
      const valueOrMissing =
        getMaxRepetitionLevel(schemaPath) === 0 && (opts.flatLeaves?.(schemaPath[1]) ?? false);
      return new ColumnStream(
        src,
        start,
        end,
        decoder,
        groupRows,
        windowBytes,
        headerProbeBytes,
        valueOrMissing,
      );
    });
    const columns = topColumns(schema, streams);
    let done = 0;
    while (done < groupRows) {
      const want = Math.min(batchRows, groupRows - done);
      await Promise.all(streams.map((s) => s.fill(want)));
      const n = Math.min(want, ...streams.map((s) => s.complete()));
      if (n <= 0) {
        const short = streams.find((s) => s.complete() === 0);
        throw new Error(`column ${short?.name} ends at row ${groupStart + done} of a ${groupRows}-row group`);
      }
      yield assemble(takeBatch(columns, n), n);
      done += n;
    }
    groupStart += groupRows;
  }
}
