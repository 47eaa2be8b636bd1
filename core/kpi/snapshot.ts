import type { Grain } from '../config/schema.ts';
import { addDays, endOfMonth, endOfQuarter, maxDate, minDate, startOfQuarter } from '../dates.ts';
import { encodeParquet } from '../lake/parquet.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import type { Logger } from '../log.ts';
import type { QueryEngine, QueryRow } from '../query/query-engine.ts';
import type { DateWindow } from '../connector.ts';
import type { KpiDefinition, KpiSnapshotRow } from './definition.ts';
import { evaluateExpression, referencedKpis } from './expression.ts';
import type { FactSource, Measure, SqlContext } from './measures.ts';
import { builtInKpis, type KpiRegistry } from './registry.ts';
import { renderSnapshotSql } from './snapshot-sql.ts';
import { kpiSnapshotsTable, snapshotKey } from './snapshot-table.ts';

export const snapshotGrains: readonly Grain[] = ['day', 'week', 'month', 'quarter'];

export interface SnapshotOptions {
  readonly engine: QueryEngine;
  readonly store: ObjectStore;
  readonly kpis: readonly KpiDefinition[];
  /** Per table, the dates for which its data is complete (from the sync cursors). */
  readonly coverage: ReadonlyMap<string, DateWindow>;
  /** The last complete day in the business time zone. */
  readonly asOf: string;
  readonly historyDays: number;
  readonly context: SqlContext;
  readonly log: Logger;
  readonly now?: Date;
  /** Runs before a fact source's query with its window, e.g. to check exchange rates cover it. */
  readonly beforeQuery?: (source: FactSource, window: DateWindow) => Promise<void>;
  /** Where measures and sources are looked up (the catalog's plus pipeline.yaml's custom KPIs). */
  readonly registry?: KpiRegistry;
}

export interface SnapshotResult {
  readonly rows: readonly KpiSnapshotRow[];
  readonly key: string;
  readonly queries: number;
  readonly skipped: ReadonlyArray<{ readonly kpi: string; readonly reason: string }>;
}

/** Computes every KPI over complete periods and replaces the snapshot file of `asOf`. */
export async function computeSnapshot(options: SnapshotOptions): Promise<SnapshotResult> {
  const { engine, kpis, coverage, asOf, log } = options;
  const registry = options.registry ?? builtInKpis;
  const computedAt = options.now ?? new Date();
  const skipped: Array<{ kpi: string; reason: string }> = [];

  const computable = kpis.filter((kpi) => {
    if (kpi.growthOf || kpi.expression) return false;
    const missing = [...new Set(kpiSources(kpi, registry).map((s) => s.coverageTable))].filter((t) => !coverage.has(t));
    if (missing.length > 0) skipped.push({ kpi: kpi.id, reason: `no synced data in ${missing.join(', ')}` });
    return missing.length === 0;
  });

  // One query per fact source with every measure and segment its KPIs need.
  const sums = new Map<string, Record<string, number>>();
  let queries = 0;
  for (const [source, needs] of sourceNeeds(computable, registry)) {
    const window = sourceWindow(source, coverage, asOf, options.historyDays);
    if (!window) continue;
    await options.beforeQuery?.(source, window);
    const sql = renderSnapshotSql({
      source, measures: [...needs.measures], segments: [...needs.segments], grains: snapshotGrains,
      from: window.from, to: window.to, context: options.context,
    });
    log.info(`computing ${needs.measures.size} measures from ${source.id} (${window.from} … ${window.to})`);
    const result = await engine.query(sql);
    queries++;
    for (const row of result) collectSums(sums, row, needs.measures, [...needs.segments]);
  }

  const rows: KpiSnapshotRow[] = [];
  for (const kpi of computable) {
    const windows = kpiSources(kpi, registry).map((s) => sourceWindow(s, coverage, asOf, options.historyDays));
    if (windows.some((w) => !w)) continue;
    const from = windows.reduce((acc, w) => maxDate(acc, w!.from), '0000-01-01');
    const to = windows.reduce((acc, w) => minDate(acc, w!.to), '9999-12-31');
    for (const [key, values] of sums) {
      const [grain, periodStart, dimension, segmentValue] = key.split('\u0000') as [Grain, string, string, string];
      if (dimension !== '' && !kpi.segments.includes(dimension)) continue;
      if (kpi.grains && !kpi.grains.includes(grain)) continue;
      const periodEnd = periodEndOf(grain, periodStart);
      if (periodStart < from || periodEnd > to) continue; // complete periods only
      // A share's denominator is the same measure over all segments together.
      if (kpi.shareOfTotal && dimension === '') continue;
      const whole = kpi.shareOfTotal ? sums.get(sumKey(grain, periodStart, '', '')) : undefined;
      const numerator = values[kpi.numerator];
      const denominator = kpi.shareOfTotal ? whole?.[kpi.numerator] : kpi.denominator === undefined ? null : values[kpi.denominator];
      const gateValues = kpi.shareOfTotal ? whole : values;
      if (numerator === undefined || denominator === undefined) continue;
      rows.push({
        snapshot_date: asOf, kpi_id: kpi.id, grain,
        segment_dimension: dimension === '' ? null : dimension,
        segment_value: dimension === '' ? null : segmentValue,
        period_start: periodStart, period_end: periodEnd,
        value: kpiValue(kpi, numerator, denominator),
        numerator, denominator,
        gate_volume: kpi.gate ? gateValues?.[kpi.gate.measure] ?? 0 : null,
        computed_at: computedAt,
      });
    }
  }
  for (const kpi of kpis.filter((k) => k.growthOf)) rows.push(...growthRows(kpi, rows));
  rows.push(...derivedKpiRows(kpis.filter((k) => k.expression), registry, rows, skipped));
  rows.sort((a, b) => a.kpi_id.localeCompare(b.kpi_id) || a.grain.localeCompare(b.grain) ||
    (a.segment_value ?? '').localeCompare(b.segment_value ?? '') || a.period_start.localeCompare(b.period_start));

  const key = snapshotKey(asOf);
  await options.store.put(key, encodeParquet(kpiSnapshotsTable, rows), 'application/vnd.apache.parquet');
  return { rows, key, queries, skipped };
}

/** scale × (a sum, or a ratio of sums) + offset; null when the denominator is zero. */
export function kpiValue(kpi: KpiDefinition, numerator: number, denominator: number | null): number | null {
  if (denominator === 0) return null;
  const base = denominator === null ? numerator : numerator / denominator;
  return base * (kpi.scale ?? 1) + (kpi.offset ?? 0);
}

/**
 * Growth KPIs from the rows of the KPI they grow: per grain and segment, each period over the one
 * just before it, minus one. Numerator and denominator keep the two values.
 */
export function growthRows(kpi: KpiDefinition, base: readonly KpiSnapshotRow[]): KpiSnapshotRow[] {
  const rows: KpiSnapshotRow[] = [];
  const series = Map.groupBy(base.filter((r) => r.kpi_id === kpi.growthOf && (kpi.grains ?? snapshotGrains).includes(r.grain)),
    (r) => `${r.grain}\u0000${r.segment_dimension ?? ''}\u0000${r.segment_value ?? ''}`);
  for (const periods of series.values()) {
    const byStart = new Map(periods.map((r) => [r.period_start, r]));
    for (const current of periods) {
      const previous = [...byStart.values()].find((r) => addDays(r.period_end, 1) === current.period_start);
      if (!previous || current.value === null || previous.value === null) continue;
      rows.push({
        ...current, kpi_id: kpi.id, numerator: current.value, denominator: previous.value, gate_volume: null,
        value: previous.value === 0 ? null : current.value / previous.value - 1,
      });
    }
  }
  return rows;
}

export function periodEndOf(grain: Grain, periodStart: string): string {
  switch (grain) {
    case 'day': return periodStart;
    case 'week': return addDays(periodStart, 6);
    case 'month': return endOfMonth(periodStart);
    case 'quarter': return endOfQuarter(periodStart);
  }
}

export function kpiMeasures(kpi: KpiDefinition, registry: KpiRegistry = builtInKpis): Measure[] {
  return [kpi.numerator, kpi.denominator, kpi.gate?.measure]
    .filter((id): id is string => id !== undefined && id !== '')
    .map((id) => registry.measureById.get(id)!);
}

function kpiSources(kpi: KpiDefinition, registry: KpiRegistry): FactSource[] {
  return [...new Set(kpiMeasures(kpi, registry).map((m) => registry.factSourceById.get(m.source)!))];
}

/**
 * Derived KPIs from the rows of the KPIs they name, period by period (whole only, or per segment
 * where the KPI declares it); a derived KPI may use another, so they are computed in rounds.
 */
function derivedKpiRows(derived: readonly KpiDefinition[], registry: KpiRegistry, rows: readonly KpiSnapshotRow[], skipped: Array<{ kpi: string; reason: string }>): KpiSnapshotRow[] {
  const out: KpiSnapshotRow[] = [];
  const index = new Map<string, Map<string, KpiSnapshotRow>>();
  const add = (row: KpiSnapshotRow) => {
    const key = sumKey(row.grain, row.period_start, row.segment_dimension ?? '', row.segment_value ?? '');
    let byKpi = index.get(key);
    if (!byKpi) index.set(key, (byKpi = new Map()));
    byKpi.set(row.kpi_id, row);
  };
  rows.forEach(add);
  let pending = [...derived];
  while (pending.length > 0) {
    const ready = pending.filter((kpi) => referencedKpis(registry.expressions.get(kpi.id)!).every((id) => !pending.some((p) => p.id === id)));
    if (ready.length === 0) break;
    for (const kpi of ready) {
      const expression = registry.expressions.get(kpi.id)!;
      const names = referencedKpis(expression);
      let produced = 0;
      for (const byKpi of index.values()) {
        const template = byKpi.get(names[0]!);
        if (!template || names.some((id) => !byKpi.has(id))) continue;
        if (template.segment_dimension !== null && !kpi.segments.includes(template.segment_dimension)) continue;
        const value = evaluateExpression(expression, (id) => byKpi.get(id)?.value);
        const row: KpiSnapshotRow = { ...template, kpi_id: kpi.id, value, numerator: value ?? 0, denominator: null, gate_volume: null };
        out.push(row);
        produced++;
      }
      for (const row of out.slice(out.length - produced)) add(row);
      if (produced === 0) skipped.push({ kpi: kpi.id, reason: `no period has every KPI it uses (${names.join(', ')})` });
    }
    pending = pending.filter((kpi) => !ready.includes(kpi));
  }
  return out;
}

function sourceNeeds(kpis: readonly KpiDefinition[], registry: KpiRegistry): Map<FactSource, { measures: Set<Measure>; segments: Set<string> }> {
  const needs = new Map<FactSource, { measures: Set<Measure>; segments: Set<string> }>();
  for (const kpi of kpis) {
    for (const measure of kpiMeasures(kpi, registry)) {
      const source = registry.factSourceById.get(measure.source)!;
      let need = needs.get(source);
      if (!need) needs.set(source, (need = { measures: new Set(), segments: new Set() }));
      need.measures.add(measure);
      for (const segment of kpi.segments) need.segments.add(segment);
    }
  }
  return needs;
}

/** The dates to scan: a fixed history aligned to a quarter start (so its first quarter is whole), inside what was synced. */
function sourceWindow(source: FactSource, coverage: ReadonlyMap<string, DateWindow>, asOf: string, historyDays: number): DateWindow | undefined {
  const covered = coverage.get(source.coverageTable)!;
  const from = maxDate(startOfQuarter(addDays(asOf, -historyDays)), covered.from);
  const to = minDate(asOf, covered.to);
  return from <= to ? { from, to } : undefined;
}

/** Adds one result row to the overall sums of its period and to the sums of each of its segments. */
function collectSums(sums: Map<string, Record<string, number>>, row: QueryRow, measures: Set<Measure>, segments: string[]): void {
  const keys = [
    sumKey(String(row.grain), String(row.period_start), '', ''),
    ...segments.map((s) => sumKey(String(row.grain), String(row.period_start), s, String(row[s]))),
  ];
  for (const key of keys) {
    let values = sums.get(key);
    if (!values) sums.set(key, (values = {}));
    for (const measure of measures) values[measure.id] = (values[measure.id] ?? 0) + Number(row[`m_${measure.id}`] ?? 0);
  }
}

function sumKey(grain: string, periodStart: string, dimension: string, value: string): string {
  return [grain, periodStart, dimension, value].join('\u0000');
}
