import type { Grain } from '../config/schema.ts';

export type KpiUnit = 'count' | 'ratio' | 'currency' | 'duration' | 'days';
export type KpiDirection = 'higher_is_better' | 'lower_is_better' | 'neutral';
export type KpiCategory = 'acquisition' | 'engagement' | 'conversion' | 'revenue' | 'efficiency';

/**
 * A KPI is a ratio of sums (or a plain sum) of measures over one table. Measures are SQL
 * aggregates rendered by `snapshot-sql.ts`; the KPI arithmetic itself runs in TypeScript,
 * so one query per table serves every KPI on it.
 */
export interface KpiDefinition {
  readonly id: string;
  readonly name: { readonly ko: string; readonly en: string };
  /** One line: numerator, denominator and what they count, in each language. */
  readonly definition: { readonly ko: string; readonly en: string };
  readonly unit: KpiUnit;
  readonly direction: KpiDirection;
  readonly category: KpiCategory;
  readonly table: string;
  /** Measure id (see the table's measures) summed for the numerator. */
  readonly numerator: string;
  /** Measure id for the denominator; absent for plain sums. */
  readonly denominator?: string;
  /** value = scale × num/den + offset: CPM has scale 1000, cart abandonment (1 − p/a) scale −1 and offset 1, ROI (r − 1) offset −1. */
  readonly scale?: number;
  readonly offset?: number;
  /** value = this KPI's other-KPI value in the period / its value in the previous period − 1 (month-over-month growth). */
  readonly growthOf?: string;
  /** A derived KPI: arithmetic over other KPIs' values in the same period (pipeline.yaml `kind: derived`). */
  readonly expression?: string;
  /** Grains it is computed for; all by default. */
  readonly grains?: readonly Grain[];
  /**
   * A share of the whole (channel contribution): per segment, the segment's numerator over the
   * numerator of all segments together; no row for the whole itself.
   */
  readonly shareOfTotal?: boolean;
  /** Minimum volume before the value is judged: a measure and its minimum. */
  readonly gate?: { readonly measure: string; readonly min: number };
  /** Dimensions this KPI is also computed by, e.g. channel_group. */
  readonly segments: readonly string[];
}

/** One row of table `kpi_snapshots` (a type alias, so it is a `Row` the Parquet writer takes). */
export type KpiSnapshotRow = {
  snapshot_date: string;
  kpi_id: string;
  grain: Grain;
  segment_dimension: string | null;
  segment_value: string | null;
  period_start: string;
  period_end: string;
  value: number | null;
  numerator: number;
  denominator: number | null;
  gate_volume: number | null;
  computed_at: Date;
};
