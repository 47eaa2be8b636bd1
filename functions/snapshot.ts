import { z } from 'zod';
import { connectorRegistry } from '../connectors/declarations.ts';
import { IsoDate } from '../core/config/schema.ts';
import { runSnapshot } from '../core/pipeline/run-snapshot.ts';
import { createViews } from '../core/query/create-views.ts';
import { config, lakeStore, lastCompleteDay, log, queryEngine } from './runtime.ts';

/** `{}` from the daily state machine; `{ "asOf": "YYYY-MM-DD" }` to recompute a day. */
export const SnapshotEvent = z.object({ asOf: IsoDate.optional() }).loose();
export type SnapshotEvent = z.infer<typeof SnapshotEvent>;

/** Tables and views only: the snapshot reads no source, so it bundles no connector client. */
const connectors = connectorRegistry();
const store = lakeStore();
const engine = queryEngine();

export async function handler(event: unknown) {
  const { asOf } = SnapshotEvent.parse(event ?? {});
  const { config: pipeline, sources, kpis, catalog } = await config(connectors);
  // The views are (re)created from the same definitions DuckDB uses, so a deploy never leaves them stale.
  await createViews(engine, catalog.views);
  const snapshotDate = asOf ?? lastCompleteDay(pipeline.timezone);
  const result = await runSnapshot({ config: pipeline, sources, store, engine, asOf: snapshotDate, views: catalog.views, kpis, log });
  return { snapshotDate, rows: result.rows.length, queries: result.queries, skipped: result.skipped };
}
