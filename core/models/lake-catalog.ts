import type { Connector } from '../connector.ts';
import { orderByDependency, type LakeCatalog } from '../table/lake-catalog.ts';
import { coreTables, coreViews } from './index.ts';

/**
 * Every public table and view: the connectors' raw tables and views, then the pipeline's own.
 * A view that reads a table no given connector provides is left out, in dependency order.
 */
export function buildLakeCatalog(connectors: readonly Connector[]): Required<LakeCatalog> {
  const tables = [...connectors.flatMap((c) => c.tables), ...coreTables];
  const known = new Set(tables.map((t) => t.name));
  const views = orderByDependency([...connectors.flatMap((c) => c.views ?? []), ...coreViews]).filter((view) => {
    const complete = view.dependsOn.every((name) => known.has(name));
    if (complete) known.add(view.name);
    return complete;
  });
  return { tables, views };
}
