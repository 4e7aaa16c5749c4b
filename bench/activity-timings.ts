/**
 * Where an import's time went, from its Temporal history: per activity type, how many ran, the
 * seconds they ran (started -> completed) and the seconds they waited in the task queue
 * (scheduled -> started). Whatever is left of the wall time is workflow and client overhead.
 */
import type { WorkflowHandle } from '@temporalio/client';

interface Ts {
  seconds?: { toNumber(): number } | number | string | null;
  nanos?: number | null;
}

export interface ActivityTiming {
  count: number;
  runSeconds: number;
  queueSeconds: number;
}

function toMs(t: Ts | null | undefined): number {
  if (!t) return 0;
  const s = t.seconds;
  const secs = typeof s === 'object' && s !== null ? s.toNumber() : Number(s ?? 0);
  return secs * 1000 + (t.nanos ?? 0) / 1e6;
}

const idOf = (x: unknown): string => String(x ?? '');

export async function activityTimings(handle: WorkflowHandle): Promise<Record<string, ActivityTiming>> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, { type: string; at: number }>();
  const started = new Map<string, number>();
  const out: Record<string, ActivityTiming> = {};
  for (const e of history.events ?? []) {
    const at = toMs(e.eventTime as Ts | null | undefined);
    const id = idOf(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      scheduled.set(id, { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
    } else if (e.activityTaskStartedEventAttributes) {
      started.set(idOf(e.activityTaskStartedEventAttributes.scheduledEventId), at);
    } else if (e.activityTaskCompletedEventAttributes) {
      const sid = idOf(e.activityTaskCompletedEventAttributes.scheduledEventId);
      const s = scheduled.get(sid);
      const st = started.get(sid);
      if (!s || st === undefined) continue;
      const t = (out[s.type] ??= { count: 0, runSeconds: 0, queueSeconds: 0 });
      t.count += 1;
      t.runSeconds += (at - st) / 1000;
      t.queueSeconds += (st - s.at) / 1000;
    }
  }
  for (const t of Object.values(out)) {
    t.runSeconds = Number(t.runSeconds.toFixed(3));
    t.queueSeconds = Number(t.queueSeconds.toFixed(3));
  }
  return out;
}
