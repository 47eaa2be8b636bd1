/**
 * The query-engine port: Athena in AWS, DuckDB locally, over the same Parquet files and the same
 * public table names. SQL is the subset both Trino (Athena engine v3) and DuckDB run.
 */
export type QueryValue = string | number | boolean | null;
export type QueryRow = Record<string, QueryValue>;
export type QueryParam = string | number | boolean | null;

export interface QueryEngine {
  /** `?` placeholders are bound by `bindParams`, identically for every engine. */
  query(sql: string, params?: readonly QueryParam[]): Promise<QueryRow[]>;
  close(): Promise<void>;
}
