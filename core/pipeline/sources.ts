import type { ConfiguredSource } from '../config/load-config.ts';
import type { DateWindow, StreamDefinition } from '../connector.ts';
import { maxDate, minDate } from '../dates.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import { readStreamState } from '../lake/state-store.ts';
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
  store: ObjectStore, sources: readonly ConfiguredSource[], views: readonly ViewDefinition[] = [],
): Promise<Map<string, DateWindow>> {
  const coverage = new Map<string, DateWindow>();
  for (const source of sources) {
    for (const table of source.connector.tables) {
      const state = await readStreamState(store, source.config.id, table.name);
      if (!state) continue;
      const known = coverage.get(table.name);
      coverage.set(table.name, known
        ? { from: maxDate(known.from, state.firstDate), to: minDate(known.to, state.cursor) }
        : { from: state.firstDate, to: state.cursor });
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
