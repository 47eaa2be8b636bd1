import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { IsoDate } from '../core/config/schema.ts';
import { runSync } from '../core/pipeline/run-sync.ts';
import { adapters, config, lastCompleteDay, log, metrics } from './runtime.ts';

/** `{}` on the schedule; `{ "from", "to" }` to backfill. The source comes from the function's SOURCE_ID. */
export const IngestEvent = z.object({ from: IsoDate.optional(), to: IsoDate.optional() }).loose();
export type IngestEvent = z.infer<typeof IngestEvent>;

const store = adapters.store();
const secrets = adapters.secrets();
/** Stop reading this long before Lambda's limit, so the files and cursor of what was read are saved. */
const safetyMarginMs = 60_000;

export async function handler(event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) {
  const { from, to } = IngestEvent.parse(event ?? {});
  const { config: pipeline, sources } = await config();
  const timeBudget = AbortSignal.timeout(Math.max(1_000, context.getRemainingTimeInMillis() - safetyMarginMs));
  const results = await runSync({
    config: pipeline, sources, store, secrets, log, lastCompleteDay: lastCompleteDay(pipeline.timezone),
    onlySource: process.env.SOURCE_ID!, signal: timeBudget,
    ...(from || to ? { backfill: { ...(from ? { from } : {}), ...(to ? { to } : {}) } } : {}),
  });
  for (const result of results) {
    metrics.addDimensions({ source: result.source, stream: result.stream });
    metrics.addMetric('RowsWritten', MetricUnit.Count, result.rows);
    metrics.addMetric('PartialRuns', MetricUnit.Count, result.status === 'partial' ? 1 : 0);
    metrics.publishStoredMetrics();
  }
  // The freshness alarm watches this: a quiet CRM day writes no rows, but the run still succeeded.
  metrics.addDimensions({ source: process.env.SOURCE_ID! });
  metrics.addMetric('SuccessfulSyncs', MetricUnit.Count, results.every((r) => r.status !== 'partial') ? 1 : 0);
  metrics.publishStoredMetrics();
  return { results };
}
