/**
 * The export's activities: thin wrappers around export-steps.ts that open the catalog through the
 * injected deps and the destination through `openStore`, heartbeat while they stream, and return
 * counts and versions only (never file lists or credentials).
 */
import { Context } from '@temporalio/activity';
import { LOG_DIR } from '../delta/log-path';
import { probeWritable } from '../storage/probe-writable';
import { openStore } from '../storage/uri';
import type { ActivityDeps } from './deps';
import {
  exportCheckpoint,
  exportRange,
  finishExport,
  planExport,
  type CheckpointExportResult,
  type ExportInput,
  type ExportPlan,
  type RangeExportResult,
} from './export-steps';
import { guarded } from './failures';

export interface ExportRangeArgs {
  catalog: string;
  dest: string;
  tableId: string;
  from: number;
  to: number;
  commitFrom: number;
  overwrite: boolean;
}

export interface ExportCheckpointArgs {
  catalog: string;
  dest: string;
  tableId: string;
  version: number;
  overwrite: boolean;
  /** The plan's clock for tombstone expiry (absent in plans made before it existed: the activity's clock). */
  nowMs?: number;
}

const HEARTBEAT_EVERY_VERSIONS = 100;

export function createExportActivities(deps: ActivityDeps) {
  return {
    /** Resolve the table and the versions to write; fail fast when the destination is not writable. */
    async planExport(input: ExportInput): Promise<ExportPlan> {
      return guarded(async () => {
        const plan = await planExport(await deps.catalog(input.catalog), input);
        await probeWritable(openStore(input.dest), LOG_DIR);
        return plan;
      });
    },
    async exportRange(args: ExportRangeArgs): Promise<RangeExportResult> {
      return guarded(async () => {
        const ctx = Context.current();
        return exportRange(
          await deps.catalog(args.catalog),
          openStore(args.dest),
          args,
          (v) => {
            if ((v - args.from) % HEARTBEAT_EVERY_VERSIONS === 0) ctx.heartbeat({ version: v });
          },
          // A huge commit streams for a while: beat as its chunks pass (the SDK throttles these).
          () => ctx.heartbeat({ streaming: true }),
        );
      });
    },
    async exportCheckpoint(args: ExportCheckpointArgs): Promise<CheckpointExportResult> {
      return guarded(async () => {
        const ctx = Context.current();
        return exportCheckpoint(await deps.catalog(args.catalog), openStore(args.dest), args, () =>
          ctx.heartbeat({ checkpoint: args.version }),
        );
      });
    },
    async finishExport(args: {
      dest: string;
      newest: CheckpointExportResult | null;
      overwrite: boolean;
    }): Promise<boolean> {
      return guarded(() => finishExport(openStore(args.dest), args.newest, args.overwrite));
    },
  };
}
