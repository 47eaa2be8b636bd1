import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { connectorRegistry } from '../connectors/declarations.ts';
import { IsoDate } from '../core/config/schema.ts';
import type { Connector } from '../core/connector.ts';
import { UsageError } from '../core/errors.ts';
import { runSync } from '../core/pipeline/run-sync.ts';
import { config, lakeStore, lastCompleteDay, log, secretStore } from './runtime.ts';

/** `{}` on the schedule; `{ "from", "to" }` to backfill. The source comes from the function's SOURCE_ID. */
export const IngestEvent = z.object({ from: IsoDate.optional(), to: IsoDate.optional() }).loose();
export type IngestEvent = z.infer<typeof IngestEvent>;

/** Stop reading this long before Lambda's limit, so the files and cursor of what was read are saved. */
const safetyMarginMs = 60_000;

/**
 * The ingest handler of one connector. Each source type has its own entry, functions/ingest-<type>.ts,
 * that passes its connector here, so a source's function bundles that connector's client and
 * vendor library and no other (the stack picks the entry by the source's type: infra/bundling.ts).
 */
export function ingestHandler(connector: Connector) {
  const connectors = connectorRegistry([connector]);
  const store = lakeStore();
  const secrets = secretStore();
  const metrics = new Metrics({ namespace: 'KpiPipeline', serviceName: 'kpi-pipeline' });

  return async function handler(event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) {
    const { from, to } = IngestEvent.parse(event ?? {});
    const sourceId = process.env.SOURCE_ID!;
    const { config: pipeline, sources } = await config(connectors);
    const type = sources.find((s) => s.config.id === sourceId)?.config.type;
    if (type !== undefined && type !== connector.type) {
      throw new UsageError(`source "${sourceId}" is a ${type} source; this function is built with the ${connector.type} connector only`);
    }
    const timeBudget = AbortSignal.timeout(Math.max(1_000, context.getRemainingTimeInMillis() - safetyMarginMs));
    const results = await runSync({
      config: pipeline, sources, store, secrets, log, lastCompleteDay: lastCompleteDay(pipeline.timezone),
      onlySource: sourceId, signal: timeBudget,
      ...(from || to ? { backfill: { ...(from ? { from } : {}), ...(to ? { to } : {}) } } : {}),
    });
    for (const result of results) {
      metrics.addDimensions({ source: result.source, stream: result.stream });
      metrics.addMetric('RowsWritten', MetricUnit.Count, result.rows);
      // Only when there are some: a custom metric is billed for each month it has data.
      if (result.rejected > 0) metrics.addMetric('RecordsRejected', MetricUnit.Count, result.rejected);
      metrics.addMetric('PartialRuns', MetricUnit.Count, result.status === 'partial' ? 1 : 0);
      metrics.publishStoredMetrics();
    }
    // The freshness alarm watches this: a quiet CRM day writes no rows, but the run still succeeded.
    metrics.addDimensions({ source: sourceId });
    metrics.addMetric('SuccessfulSyncs', MetricUnit.Count, results.every((r) => r.status !== 'partial') ? 1 : 0);
    metrics.publishStoredMetrics();
    return { results };
  };
}
