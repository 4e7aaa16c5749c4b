/**
 * Reconciliation (PROTOCOL.md "Action Reconciliation"), replaying oldest to newest with "last
 * action wins". A file's identity is (canonical path, DV unique id) via `fileKey` and
 * `canonicalPath` (URI spellings of one file match, as in Spark); a remove drops that
 * identity, a later add revives it. Checkpoint removes are tombstones for vacuum, not state, so they
 * are ignored. Unknown actions and checkpoint-only actions never change state. A remove that drops
 * an add spelled another way is counted (`pathMismatches`), for the import notes.
 */
import { DeltaSqlError } from '../common/errors';
import { type AddAction, type LogAction, type MetadataAction, type ProtocolAction, fileKey } from './actions';
import { canonicalPath } from './path-canonical';
import { addPathMismatch, noPathMismatches, pathMismatchNote, type PathMismatches } from './path-mismatches';
import { checkReaderProtocol } from './table-features';
import { fileJson, metadataJson, protocolJson, snapshotJson, type SnapshotJson } from './snapshot-json';

export class SnapshotBuilder {
  private readonly files = new Map<string, AddAction>();
  readonly pathMismatches: PathMismatches = noPathMismatches();
  private readonly txns = new Map<string, number>();
  private readonly domains = new Map<string, string>();
  protocol: ProtocolAction | null = null;
  metadata: MetadataAction | null = null;

  /** `root`: the table root as the store names it, so absolute paths under it match relative ones. */
  constructor(private readonly root?: string) {}

  /** Apply one action. `fromCheckpoint` makes removes inert (they are tombstones there). */
  apply(a: LogAction, fromCheckpoint = false): void {
    switch (a.type) {
      case 'add':
        this.files.set(fileKey(canonicalPath(a.body.path, this.root), a.body.deletionVector), a.body);
        break;
      case 'remove': {
        if (fromCheckpoint) break;
        const key = fileKey(canonicalPath(a.body.path, this.root), a.body.deletionVector);
        const removed = this.files.get(key);
        if (removed && removed.path !== a.body.path)
          addPathMismatch(this.pathMismatches, a.body.path, removed.path);
        this.files.delete(key);
        break;
      }
      case 'metaData':
        this.metadata = a.body;
        break;
      case 'protocol':
        this.protocol = a.body;
        break;
      case 'txn':
        this.txns.set(a.body.appId, a.body.version);
        break;
      case 'domainMetadata':
        if (a.body.removed) this.domains.delete(a.body.domain);
        else this.domains.set(a.body.domain, a.body.configuration);
        break;
      default:
        // commitInfo, cdc, checkpointMetadata, sidecar, unknown: no effect on state.
        break;
    }
  }

  /** The import-notes line for pathMismatches, or null when there were none. */
  pathMismatchNote(): string | null {
    return pathMismatchNote(this.pathMismatches);
  }

  get numFiles(): number {
    return this.files.size;
  }

  activeFiles(): IterableIterator<AddAction> {
    return this.files.values();
  }

  /** Throw MissingProtocol / MissingMetadata when replay produced no protocol or metadata. */
  requireProtocolAndMetadata(
    version: number,
    file: string,
  ): { protocol: ProtocolAction; metadata: MetadataAction } {
    if (!this.protocol) {
      throw new DeltaSqlError(
        'MissingProtocol',
        `no protocol action found for version ${version} (replayed from ${file})`,
        {
          file,
        },
      );
    }
    if (!this.metadata) {
      throw new DeltaSqlError(
        'MissingMetadata',
        `no metaData action found for version ${version} (replayed from ${file})`,
        {
          file,
        },
      );
    }
    checkReaderProtocol(this.protocol, file);
    return { protocol: this.protocol, metadata: this.metadata };
  }

  toJson(version: number, timestamp: number, includeFiles: boolean, file: string): SnapshotJson {
    const { protocol, metadata } = this.requireProtocolAndMetadata(version, file);
    return snapshotJson({
      version,
      timestamp,
      protocol: protocolJson(protocol),
      metadata: metadataJson(metadata),
      files: [...this.files.values()].map(fileJson),
      txns: Object.fromEntries(this.txns),
      domainMetadata: Object.fromEntries(this.domains),
      includeFiles,
    });
  }
}
