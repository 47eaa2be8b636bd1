import type { ConfiguredSource } from '../config/load-config.ts';
import type { Connector } from '../connector.ts';
import { orderByDependency, type LakeCatalog } from '../table/lake-catalog.ts';
import { coreTables, coreViews } from './index.ts';

/**
 * Every public table and view: the connectors' raw tables and views, what the configured sources
 * add (Salesforce custom objects), then the pipeline's own. A view that reads a table no
 * given connector provides is left out, in dependency order.
 */
export function buildLakeCatalog(connectors: readonly Connector[], sources: readonly ConfiguredSource[] = []): Required<LakeCatalog> {
  const tables = uniqueByName([
    ...connectors.flatMap((c) => c.tables),
    ...sources.flatMap((s) => s.connector.tablesFor?.(s.config) ?? []),
    ...coreTables,
  ]);
  const known = new Set(tables.map((t) => t.name));
  const allViews = uniqueByName([
    ...connectors.flatMap((c) => c.views ?? []),
    ...sources.flatMap((s) => s.connector.viewsFor?.(s.config) ?? []),
    ...coreViews,
  ]);
  const views = orderByDependency(allViews).filter((view) => {
    const complete = view.dependsOn.every((name) => known.has(name));
    if (complete) known.add(view.name);
    return complete;
  });
  return { tables, views };
}

function uniqueByName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.name) && seen.add(item.name));
}
