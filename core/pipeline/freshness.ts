import type { ConfiguredSource } from '../config/load-config.ts';
import { addDays, daysBetween } from '../dates.ts';
import { referencedKpis } from '../kpi/expression.ts';
import type { KpiRegistry } from '../kpi/registry.ts';
import { readStreamState } from '../lake/state-store.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import type { ViewDefinition } from '../table/schema.ts';
import { coveredDates } from './sources.ts';

export interface LateSource {
  readonly source: string;
  readonly stream: string;
  /** The newest complete day written, or null when the stream never synced. */
  readonly newestDay: string | null;
  readonly expectedDay: string;
  readonly daysLate: number | null;
}

/**
 * Each source's newest complete day against what its schedule promises (the last complete day,
 * less the source's allowed lag). A source that never synced is late too.
 */
export async function findLateSources(
  store: ObjectStore, sources: readonly ConfiguredSource[], asOf: string, timeZone: string,
): Promise<LateSource[]> {
  const late: LateSource[] = [];
  for (const source of sources) {
    const expectedDay = addDays(asOf, -source.config.maxDataLagDays);
    for (const table of source.connector.tables) {
      const state = await readStreamState(store, source.config.id, table.name);
      const newestDay = state ? coveredDates(state, timeZone).to : null;
      if (newestDay !== null && newestDay >= expectedDay) continue;
      late.push({ source: source.config.id, stream: table.name, newestDay, expectedDay, daysLate: newestDay === null ? null : daysBetween(newestDay, expectedDay) });
    }
  }
  return late;
}

/** The KPIs that read a late table, directly or through a view: their alerts wait for fresh data. */
export function kpisOfLateTables(late: readonly LateSource[], registry: KpiRegistry, views: readonly ViewDefinition[]): Set<string> {
  const lateTables = new Set(late.map((l) => l.stream));
  const viewInputs = new Map(views.map((v) => [v.name, v.dependsOn]));
  const reads = (table: string): boolean =>
    lateTables.has(table) || (viewInputs.get(table) ?? []).some(reads);
  const stale = new Set<string>();
  for (const kpi of registry.kpis) {
    const measureIds = [kpi.numerator, kpi.denominator, kpi.gate?.measure].filter((id): id is string => !!id);
    const tables = measureIds.map((id) => registry.factSourceById.get(registry.measureById.get(id)!.source)!.coverageTable);
    if (tables.some(reads)) stale.add(kpi.id);
  }
  // Derived and growth KPIs are as late as what they are computed from.
  for (let changed = true; changed;) {
    changed = false;
    for (const kpi of registry.kpis) {
      if (stale.has(kpi.id)) continue;
      const expression = registry.expressions.get(kpi.id);
      const uses = kpi.growthOf ? [kpi.growthOf] : expression ? referencedKpis(expression) : [];
      if (uses.some((id) => stale.has(id))) {
        stale.add(kpi.id);
        changed = true;
      }
    }
  }
  return stale;
}
