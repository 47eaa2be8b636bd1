import type { ViewDefinition } from '../table/schema.ts';
import type { QueryEngine } from './query-engine.ts';

/** Creates (or replaces) each view with the SQL both engines run; Athena needs this, DuckDB does it itself. */
export async function createViews(engine: QueryEngine, views: readonly ViewDefinition[]): Promise<void> {
  for (const view of views) await engine.query(`CREATE OR REPLACE VIEW ${view.name} AS ${view.sql}`);
}
