import type { ConfiguredSource } from '../config/load-config.ts';
import type { PipelineConfig } from '../config/schema.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import type { Logger } from '../log.ts';
import type { QueryEngine } from '../query/query-engine.ts';
import { builtInKpis, type KpiRegistry } from '../kpi/registry.ts';
import { computeSnapshot, type SnapshotResult } from '../kpi/snapshot.ts';
import { adPerformanceDaily } from '../models/ad-performance-daily.ts';
import { assertFxRatesCover, writeFxRates } from '../models/fx-rates.ts';
import type { ViewDefinition } from '../table/schema.ts';
import { historyDaysForGoals } from '../goals/goal-history.ts';
import { tableCoverage } from './sources.ts';

export async function runSnapshot(options: {
  readonly config: PipelineConfig;
  readonly sources: readonly ConfiguredSource[];
  readonly store: ObjectStore;
  readonly engine: QueryEngine;
  readonly asOf: string;
  readonly views: readonly ViewDefinition[];
  readonly kpis?: KpiRegistry;
  readonly log: Logger;
}): Promise<SnapshotResult> {
  const registry = options.kpis ?? builtInKpis;
  await writeFxRates(options.store, options.config);
  const coverage = await tableCoverage(options.store, options.sources, options.views, options.config.timezone);
  return computeSnapshot({
    engine: options.engine, store: options.store, kpis: registry.kpis, registry, coverage, asOf: options.asOf,
    // Far enough back for every goal's start, baseline and pacing weeks.
    historyDays: Math.min(1100, Math.max(options.config.snapshot.historyDays, historyDaysForGoals(options.config.goals, options.asOf))), context: { ...options.config.kpis, timezone: options.config.timezone }, log: options.log,
    beforeQuery: async (source, window) => {
      if (source.coverageTable === adPerformanceDaily.name) await assertFxRatesCover(options.engine, window.from, window.to);
    },
  });
}
