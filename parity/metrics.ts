/**
 * Parity metrics for alerting (seed 002: `--metrics-format prometheus|json`). Prometheus text is
 * rendered by prom-client from a private Registry, so nothing leaks into (or from) the process-wide
 * default registry and the exposition format is the library's, not hand-written.
 */
import { Gauge, Registry } from 'prom-client';
import type { ParityResult } from './compare';

export type MetricsFormat = 'prometheus' | 'json';

interface MetricDef {
  name: string;
  help: string;
  value: (r: ParityResult) => number;
}

export const METRICS: readonly MetricDef[] = [
  {
    name: 'deltasql_drift_files',
    help: 'Files missing from, extra in, or different in the catalog versus the log',
    value: (r) => r.report.driftFiles,
  },
  {
    name: 'deltasql_lag_seconds',
    help: 'Seconds between the newest source commit and the newest imported version',
    value: (r) => r.lag.lagSeconds,
  },
  {
    name: 'deltasql_version_delta',
    help: 'Source latest version minus catalog latest version',
    value: (r) => r.lag.versionDelta,
  },
  {
    name: 'deltasql_parity_ok',
    help: '1 when the catalog agrees with the log (no drift), else 0',
    value: (r) => (r.drift ? 0 : 1),
  },
  {
    name: 'deltasql_lag_slo_breached',
    help: '1 when the lag SLO (--lag-threshold-seconds) is breached, else 0',
    value: (r) => (r.lag.breached ? 1 : 0),
  },
  {
    name: 'deltasql_metadata_drift',
    help: '1 when schema, partition columns, configuration, metadata, txns or domain metadata differ',
    value: (r) => (r.report.metadataDrift ? 1 : 0),
  },
  {
    name: 'deltasql_protocol_drift',
    help: '1 when protocol versions or features differ',
    value: (r) => (r.report.protocolDrift ? 1 : 0),
  },
  {
    name: 'deltasql_source_version',
    help: 'Newest version in the source _delta_log',
    value: (r) => r.lag.sourceLatestVersion,
  },
  {
    name: 'deltasql_catalog_version',
    help: 'Newest version imported into the catalog',
    value: (r) => r.lag.catalogLatestVersion,
  },
];

/** Prometheus text exposition (version 0.0.4) for one diff result, labelled by table name. */
export async function prometheusText(result: ParityResult): Promise<string> {
  const registry = new Registry();
  for (const m of METRICS) {
    const g = new Gauge({
      name: m.name,
      help: m.help,
      labelNames: ['table', 'table_id'],
      registers: [registry],
    });
    g.set({ table: result.table.name, table_id: result.table.tableId }, m.value(result));
  }
  return registry.metrics();
}

/** The same metrics as one JSON object: `{labels, metrics: {name: value}}`. */
export function metricsJson(result: ParityResult): {
  labels: { table: string; table_id: string };
  metrics: Record<string, number>;
} {
  const metrics: Record<string, number> = {};
  for (const m of METRICS) metrics[m.name] = m.value(result);
  return { labels: { table: result.table.name, table_id: result.table.tableId }, metrics };
}

export async function renderMetrics(result: ParityResult, format: MetricsFormat): Promise<string> {
  return format === 'prometheus'
    ? prometheusText(result)
    : JSON.stringify(metricsJson(result), null, 2) + '\n';
}
