import { KpiError } from '../errors.ts';
import type { TableSchema, ViewDefinition } from './schema.ts';

/** Every table and view the engine exposes under its public name. */
export interface LakeCatalog {
  readonly tables: readonly TableSchema[];
  readonly views?: readonly ViewDefinition[];
}

/** Views after the views they read (tables are always created first). */
export function orderByDependency(views: readonly ViewDefinition[]): ViewDefinition[] {
  const byName = new Map(views.map((v) => [v.name, v]));
  const ordered: ViewDefinition[] = [];
  const visit = (view: ViewDefinition, path: readonly string[]) => {
    if (ordered.includes(view)) return;
    if (path.includes(view.name)) throw new KpiError(`views depend on each other in a cycle: ${[...path, view.name].join(' → ')}`);
    for (const dependency of view.dependsOn) {
      const inner = byName.get(dependency);
      if (inner) visit(inner, [...path, view.name]);
    }
    ordered.push(view);
  };
  views.forEach((view) => visit(view, []));
  return ordered;
}

