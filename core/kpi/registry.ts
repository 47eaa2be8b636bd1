import type { CustomKpi, CustomMeasure } from '../config/schema.ts';
import type { ConfigProblem } from '../errors.ts';
import { identifier, literal } from '../query/sql.ts';
import type { LakeCatalog } from '../table/lake-catalog.ts';
import type { Column } from '../table/schema.ts';
import { kpiCatalog } from './catalog.ts';
import type { KpiDefinition } from './definition.ts';
import { ExpressionError, parseExpression, referencedKpis, type Expression } from './expression.ts';
import { factSources, localDate, measures, type FactSource, type Measure } from './measures.ts';

/** The KPIs a pipeline computes: the catalog's, then the user's own from pipeline.yaml. */
export interface KpiRegistry {
  readonly kpis: readonly KpiDefinition[];
  readonly kpiById: ReadonlyMap<string, KpiDefinition>;
  readonly measureById: ReadonlyMap<string, Measure>;
  readonly factSourceById: ReadonlyMap<string, FactSource>;
  readonly expressions: ReadonlyMap<string, Expression>;
}

export const builtInKpis: KpiRegistry = registryOf(kpiCatalog, measures, factSources, new Map());

/**
 * Adds the custom KPIs, each checked against the table contract: tables and columns must exist
 * (identifiers come from the contract, never from the file), filter values are quoted literals,
 * derived expressions name known KPIs without cycles. Problems are returned, not thrown, so
 * `kpi validate` lists every one.
 */
export function buildKpiRegistry(custom: readonly CustomKpi[], catalog: LakeCatalog): { registry: KpiRegistry; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const kpis = [...kpiCatalog];
  const allMeasures = [...measures];
  const sources = new Map(factSources.map((s) => [s.id, s]));
  const expressions = new Map<string, Expression>();
  const columnsOf = new Map<string, readonly Column[]>([
    ...catalog.tables.map((t) => [t.name, t.partitioned === false ? t.columns : [...t.columns, { name: 'dt', type: 'string', description: '' } as Column]] as const),
    ...(catalog.views ?? []).map((v) => [v.name, v.columns] as const),
  ]);

  custom.forEach((kpi, index) => {
    const at = `kpis.custom[${index}]`;
    if (kpis.some((k) => k.id === kpi.id)) {
      problems.push({ path: `${at}.id`, message: `"${kpi.id}" is already a KPI; choose another id` });
      return;
    }
    const base = {
      id: kpi.id, name: kpi.name, unit: kpi.unit, direction: kpi.direction, category: kpi.category, segments: kpi.segments,
    };
    if (kpi.kind === 'derived') {
      try {
        const expression = parseExpression(kpi.expression);
        const unknown = referencedKpis(expression).filter((id) => !kpis.some((k) => k.id === id) && !custom.some((c) => c.id === id));
        if (unknown.length > 0) {
          problems.push({ path: `${at}.expression`, message: `unknown KPI ${unknown.map((u) => `"${u}"`).join(', ')}; use KPI ids from the catalog or kpis.custom` });
          return;
        }
        expressions.set(kpi.id, expression);
        kpis.push({
          ...base, table: 'derived', numerator: '', expression: kpi.expression, segments: kpi.segments,
          definition: kpi.definition ?? { ko: kpi.expression, en: kpi.expression },
        });
      } catch (error) {
        problems.push({ path: `${at}.expression`, message: error instanceof ExpressionError ? error.message : String(error) });
      }
      return;
    }
    const parts = kpi.kind === 'sum' ? [['measure', kpi.measure] as const] : [['numerator', kpi.numerator] as const, ['denominator', kpi.denominator] as const];
    const built: Measure[] = [];
    for (const [role, spec] of parts) {
      const measure = customMeasure(`${kpi.id}_${role === 'measure' ? 'value' : role}`, spec, kpi.segments, `${at}.${role}`, columnsOf, sources, problems);
      if (measure) built.push(measure);
    }
    if (built.length !== parts.length) return;
    allMeasures.push(...built);
    const [numerator, denominator] = built;
    kpis.push({
      ...base, table: (kpi.kind === 'sum' ? kpi.measure : kpi.numerator).table, numerator: numerator!.id,
      ...(denominator ? { denominator: denominator.id } : {}),
      ...(kpi.kind === 'ratio' && kpi.scale !== undefined ? { scale: kpi.scale } : {}),
      ...(kpi.gate !== undefined ? { gate: { measure: (denominator ?? numerator)!.id, min: kpi.gate } } : {}),
      definition: kpi.definition ?? { ko: built.map((m) => m.description).join(' / '), en: built.map((m) => m.description).join(' / ') },
    });
  });

  const cycle = findCycle(expressions);
  if (cycle) problems.push({ path: 'kpis.custom', message: `derived KPIs refer to each other in a cycle: ${cycle.join(' → ')}` });
  return { registry: registryOf(kpis, allMeasures, [...sources.values()], expressions), problems };
}

function customMeasure(
  id: string, spec: CustomMeasure, segments: readonly string[], at: string,
  columnsOf: ReadonlyMap<string, readonly Column[]>, sources: Map<string, FactSource>, problems: ConfigProblem[],
): Measure | undefined {
  const columns = columnsOf.get(spec.table);
  if (!columns) {
    problems.push({ path: `${at}.table`, message: `unknown table "${spec.table}"; write one of: ${[...columnsOf.keys()].join(', ')}` });
    return undefined;
  }
  const column = (name: string) => columns.find((c) => c.name === name);
  const before = problems.length;
  if (spec.column !== undefined && !['int64', 'double'].includes(column(spec.column)?.type ?? '')) {
    problems.push({ path: `${at}.column`, message: `${spec.table} has no numeric column "${spec.column}"; numeric columns: ${columns.filter((c) => c.type === 'int64' || c.type === 'double').map((c) => c.name).join(', ')}` });
  }
  for (const name of Object.keys(spec.where ?? {})) {
    if (!column(name)) problems.push({ path: `${at}.where.${name}`, message: `${spec.table} has no column "${name}"` });
  }
  const dateColumn = spec.date ?? 'date';
  const dateType = column(dateColumn)?.type;
  if (dateType !== 'date' && dateType !== 'timestamp') {
    problems.push({ path: `${at}.date`, message: `${spec.table} has no date or timestamp column "${dateColumn}"; name the column each row counts on with date:` });
  }
  for (const segment of segments) {
    if (column(segment)?.type !== 'string') problems.push({ path: `${at.replace(/\.(measure|numerator|denominator)$/, '')}.segments`, message: `${spec.table} has no text column "${segment}" to segment by` });
  }
  if (problems.length > before) return undefined;

  const source = sourceFor(spec.table, dateColumn, dateType!, columns.some((c) => c.name === 'dt'), segments, sources);
  if (!source) {
    problems.push({ path: `${at.replace(/\.(measure|numerator|denominator)$/, '')}.segments`, message: `${spec.table} is computed with the catalog's KPIs, which can be segmented by ${sources.get(spec.table)?.segments.join(', ') || 'nothing'} only` });
    return undefined;
  }
  const value = spec.column === undefined ? '1' : identifier(spec.column);
  const conditions = Object.entries(spec.where ?? {}).map(([name, wanted]) =>
    Array.isArray(wanted) ? `${identifier(name)} IN (${wanted.map(literal).join(', ')})` : `${identifier(name)} = ${literal(wanted)}`);
  const expression = conditions.length === 0 ? value : `CASE WHEN ${conditions.join(' AND ')} THEN ${value} ELSE 0 END`;
  const description = `Σ ${spec.column ?? 'rows'} of ${spec.table}${conditions.length > 0 ? ` where ${Object.entries(spec.where ?? {}).map(([k, v]) => `${k} = ${Array.isArray(v) ? v.join('|') : v}`).join(', ')}` : ''}`;
  return { id, source: source.id, description, expression: () => expression };
}

/** The catalog's own source for a report table when the date is the partition date, else one per table and date column. */
function sourceFor(
  table: string, dateColumn: string, dateType: string, hasDt: boolean, segments: readonly string[], sources: Map<string, FactSource>,
): FactSource | undefined {
  const existing = dateColumn === 'date' ? sources.get(table) : undefined;
  if (existing) return segments.every((s) => existing.segments.includes(s)) ? existing : undefined;
  const id = `custom:${table}:${dateColumn}`;
  const known = sources.get(id);
  const source: FactSource = {
    id, coverageTable: table, from: () => table,
    date: dateType === 'timestamp' ? localDate(identifier(dateColumn)) : () => `t.${identifier(dateColumn)}`,
    partitionPruning: dateColumn === 'date' && hasDt,
    segments: [...new Set([...(known?.segments ?? []), ...segments])],
  };
  sources.set(id, source);
  return source;
}

function findCycle(expressions: ReadonlyMap<string, Expression>): string[] | undefined {
  const visit = (id: string, path: readonly string[]): string[] | undefined => {
    if (path.includes(id)) return [...path.slice(path.indexOf(id)), id];
    const expression = expressions.get(id);
    if (!expression) return undefined;
    for (const next of referencedKpis(expression)) {
      const found = visit(next, [...path, id]);
      if (found) return found;
    }
    return undefined;
  };
  for (const id of expressions.keys()) {
    const found = visit(id, []);
    if (found) return found;
  }
  return undefined;
}

function registryOf(kpis: readonly KpiDefinition[], allMeasures: readonly Measure[], sources: readonly FactSource[], expressions: ReadonlyMap<string, Expression>): KpiRegistry {
  return {
    kpis, expressions,
    kpiById: new Map(kpis.map((k) => [k.id, k])),
    measureById: new Map(allMeasures.map((m) => [m.id, m])),
    factSourceById: new Map(sources.map((s) => [s.id, s])),
  };
}
