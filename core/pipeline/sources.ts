import type { ConfiguredSource } from '../config/load-config.ts';
import type { DateWindow, StreamDefinition } from '../connector.ts';
import { addDays, isIsoDate, maxDate, minDate, todayIn } from '../dates.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import { readStreamState, type StreamState } from '../lake/state-store.ts';
import type { Logger } from '../log.ts';
import type { SecretStore } from '../secrets.ts';
import type { ViewDefinition } from '../table/schema.ts';

export function streamsOf(source: ConfiguredSource, secrets: SecretStore, log: Logger): readonly StreamDefinition[] {
  return source.connector.streams(source.config, { secrets, log: log.child({ source: source.config.id }) });
}

/**
 * Per table, the dates every source writing it has complete: from the latest first date to the
 * earliest cursor, so a period is computed only when all of its sources cover it. A view is
 * covered where every configured table it reads is (a configured source not yet synced leaves it
 * uncovered rather than silently missing from the totals).
 */
export async function tableCoverage(
  store: ObjectStore, sources: readonly ConfiguredSource[], views: readonly ViewDefinition[] = [], timeZone = 'UTC',
): Promise<Map<string, DateWindow>> {
  const coverage = new Map<string, DateWindow>();
  for (const source of sources) {
    for (const table of source.connector.tables) {
      const state = await readStreamState(store, source.config.id, table.name);
      if (!state) continue;
      const covered = coveredDates(state, timeZone);
      const known = coverage.get(table.name);
      coverage.set(table.name, known ? { from: maxDate(known.from, covered.from), to: minDate(known.to, covered.to) } : covered);
    }
  }
  const configured = new Set(sources.flatMap((s) => s.connector.tables.map((t) => t.name)));
  for (const view of views) {
    const inputs = view.dependsOn.filter((name) => configured.has(name));
    if (inputs.length === 0 || inputs.some((name) => !coverage.has(name))) continue;
    coverage.set(view.name, inputs.map((name) => coverage.get(name)!).reduce((a, b) => ({
      from: maxDate(a.from, b.from), to: minDate(a.to, b.to),
    })));
  }
  return coverage;
}

/**
 * Report streams: firstDate … cursor date. Incremental streams read the whole history; a run that
 * finished (not partial) makes every business day before the one it finished in complete; a
 * partial one only the days before its cursor.
 */
export function coveredDates(state: StreamState, timeZone: string): DateWindow {
  const from = state.firstDate ?? '0001-01-01';
  if (isIsoDate(state.cursor)) return { from, to: state.cursor };
  const through = state.partialReason ? new Date(state.cursor) : new Date(state.updatedAt);
  return { from, to: addDays(todayIn(timeZone, through), -1) };
}
