/**
 * Activities of `deltasql convert --to delta`: thin wrappers over formats/convert-to-delta.ts that
 * open the store themselves (credentials stay on the worker) and return counts only. The plan's
 * batch boundaries are listing keys, one per batch of footers, never the file list.
 */
import { Context } from '@temporalio/activity';
import {
  type BatchSummary,
  type ConversionPlan,
  FOOTER_BATCH_FILES,
  commitConversion,
  discardStaging,
  planConversion,
  readFooterBatch,
} from '../formats/convert-to-delta';
import { LOG_DIR } from '../delta/log-path';
import { probeWritable } from '../storage/probe-writable';
import { openStore } from '../storage/uri';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';

export interface ConvertBatchArgs {
  source: string;
  runId: string;
  index: number;
  startAfter: string;
}

export function createConvertActivities(_deps: ActivityDeps) {
  return {
    async planConvert(args: { source: string; partitionBy?: string[] }): Promise<ConversionPlan> {
      return guarded(async () => {
        const store = openStore(args.source);
        const plan = await planConversion(store, { partitionBy: args.partitionBy });
        await probeWritable(store, LOG_DIR);
        return plan;
      });
    },
    async convertFooterBatch(args: ConvertBatchArgs): Promise<BatchSummary> {
      return guarded(async () => {
        const ctx = Context.current();
        const batch = { index: args.index, startAfter: args.startAfter, count: FOOTER_BATCH_FILES };
        const r = await readFooterBatch(openStore(args.source), batch, args.runId, (files) => {
          if (files % 100 === 0) ctx.heartbeat({ files });
        });
        return { files: r.files, rows: r.rows, bytes: r.bytes };
      });
    },
    async commitConvert(args: {
      source: string;
      runId: string;
      plan: ConversionPlan;
      now: number;
    }): Promise<{ files: number }> {
      return guarded(async () => {
        const r = await commitConversion(openStore(args.source), args.plan, args.runId, args.now);
        return { files: r.files };
      });
    },
    async discardConvert(args: { source: string; runId: string }): Promise<void> {
      return guarded(() => discardStaging(openStore(args.source), args.runId));
    },
  };
}
