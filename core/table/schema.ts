/**
 * A table's columns, declared once. The Parquet writer, the DuckDB views and (later) the Glue
 * tables are all generated from this, so a column is never declared twice.
 */
export type ColumnType = 'string' | 'int64' | 'double' | 'boolean' | 'date' | 'timestamp';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  /** Shown as the Glue column comment and in the README's table reference. */
  readonly description: string;
  /** Defaults to true: vendors leave fields empty more often than their docs admit. */
  readonly nullable?: boolean;
}

export interface TableSchema {
  /** Public table name: the same in Athena, in DuckDB and in the lake path `raw/<name>/`. */
  readonly name: string;
  readonly description: string;
  readonly columns: readonly Column[];
  /** Lake prefix the table's files live under, e.g. `raw/ga4_traffic_daily`. */
  readonly location: string;
  /** Partitioned by `dt=YYYY-MM-DD` folders (the default); small reference tables are not. */
  readonly partitioned?: boolean;
}

/**
 * A view over tables, defined once and created both in DuckDB and in Athena: unified models
 * (`ad_performance_daily`) and per-connector views (`salesforce_<object>_latest`).
 */
export interface ViewDefinition {
  readonly name: string;
  readonly description: string;
  /** Tables and views it reads; it is created after them. */
  readonly dependsOn: readonly string[];
  /** Its output columns, for the docs and the Glue catalog. */
  readonly columns: readonly Column[];
  /** A SELECT in the subset Trino (Athena engine v3) and DuckDB both run. */
  readonly sql: string;
}

/** Values as they travel between mappers and the writer: dates are `YYYY-MM-DD`, timestamps `Date` or ISO text. */
export type CellValue = string | number | bigint | boolean | Date | null;
export type Row = Record<string, CellValue>;

export function columnNames(table: TableSchema): string[] {
  return table.columns.map((c) => c.name);
}
