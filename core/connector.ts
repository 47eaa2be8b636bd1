import type { z } from 'zod';
import type { SourceBase } from './config/schema.ts';
import type { Logger } from './log.ts';
import type { SecretStore } from './secrets.ts';
import type { RejectedRecord } from './sync/rejects.ts';
import type { Column, Row, TableSchema, ViewDefinition } from './table/schema.ts';

/**
 * The connector contract. A connector is a folder: `client.ts` is its only file that imports the
 * vendor library; streams are declared as data; mappers are pure; a sandbox lives beside it.
 */

/**
 * - overwrite_partition: reports that vendors revise (GA4, ads) — each run replaces whole `dt=` partitions.
 * - append: CRM objects — each run appends the versions it read.
 */
export type WriteMode = 'overwrite_partition' | 'append';

/** A date window, both ends inclusive, as YYYY-MM-DD. */
export interface DateWindow {
  readonly from: string;
  readonly to: string;
}

export interface ReadContext {
  /**
   * Report streams: the dates to (re)read — the stored cursor minus the lookback window, up to the
   * last complete day. Incremental streams: the outer bounds only (initial start … last complete day).
   */
  readonly window: DateWindow;
  /** Incremental streams: the stored cursor (e.g. the newest SystemModstamp written); absent on the first run. */
  readonly cursor?: string;
  /** What the stream asked to keep at its last checkpoint (e.g. which API it pinned). */
  readonly streamState?: Readonly<Record<string, unknown>>;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

/**
 * What a stream's `read` yields:
 * - rows: mapped rows, ready for the writer, and the records of the same page the mapper rejected
 *   (they go to `_rejects` with the rows' checkpoint; see core/sync/rejects.ts)
 * - schema: the columns to write from now on, when the vendor tells them at read time (a field
 *   added in Salesforce); must keep every declared column
 * - checkpoint: every row up to and including `through` (a date, or the new cursor of an
 *   incremental stream) has been yielded. overwrite_partition streams also say which partitions
 *   are complete (`covers`): those replace the old ones. `streamState` is kept for the next run.
 * - partial: the stream stopped early on purpose (quota, API limit); the run resumes from the last checkpoint.
 */
export type StreamEvent =
  | { readonly kind: 'rows'; readonly rows: readonly Row[]; readonly rejected?: readonly RejectedRecord[] }
  | { readonly kind: 'schema'; readonly columns: readonly Column[] }
  | { readonly kind: 'checkpoint'; readonly through: string; readonly covers?: DateWindow; readonly streamState?: Readonly<Record<string, unknown>> }
  | { readonly kind: 'partial'; readonly reason: string };

export interface StreamDefinition {
  /** Also the public table name. */
  readonly table: TableSchema;
  readonly primaryKey: readonly string[];
  /** The column the cursor advances on (a date for reports, SystemModstamp for CRM objects). */
  readonly cursorField: string;
  /** The YYYY-MM-DD column that picks a report row's `dt=` partition (append streams file under the run's date). */
  readonly partitionField: string;
  readonly writeMode: WriteMode;
  /** Report streams: days re-read before the cursor on every run, because the vendor revises them (0 for incremental streams). */
  readonly lookbackDays: number;
  /**
   * `report` (default): date windows, cursor = last complete date. `incremental`: the stream gets the
   * stored cursor and reads what changed since (its own overlap included); a first run reads the
   * whole history.
   */
  readonly cursorKind?: 'report' | 'incremental';
  read(context: ReadContext): AsyncIterable<StreamEvent>;
}

export interface ConnectorDependencies {
  readonly secrets: SecretStore;
  readonly log: Logger;
}

/** A sandbox a connector ships: a local server speaking the vendor's wire format. */
export interface RunningSandbox {
  readonly url: string;
  stop(): Promise<void>;
}

export interface Connector<Config extends SourceBase = SourceBase> {
  readonly type: string;
  /** Validates one `sources[]` entry of this type; extends SourceBase. */
  readonly configSchema: z.ZodType<Config>;
  /** Every table this connector can write, for the query engine and the catalog, even before a sync. */
  readonly tables: readonly TableSchema[];
  /** Views over its tables (e.g. the newest version of each CRM record), created in DuckDB and Athena. */
  readonly views?: readonly ViewDefinition[];
  /** The tables a source's config adds beyond `tables` (Salesforce custom objects). */
  tablesFor?(config: Config): readonly TableSchema[];
  /** The views a source's config adds beyond `views`. */
  viewsFor?(config: Config): readonly ViewDefinition[];
  streams(config: Config, dependencies: ConnectorDependencies): readonly StreamDefinition[];
  /**
   * Starts the bundled sandbox for this source and returns the config pointed at it, with the
   * secrets (by name) that config now refers to.
   */
  startSandbox?(config: Config, options: { anchorDate: string }): Promise<{ sandbox: RunningSandbox; config: Config; secrets: Record<string, string> }>;
}

/**
 * What a connector declares as data — its type, config schema, tables and views — without its
 * client: each connector folder's declaration.ts, loadable with no vendor library (the snapshot and
 * notify Lambdas load pipeline.yaml with these only).
 */
export type ConnectorDeclaration<Config extends SourceBase = SourceBase> =
  Pick<Connector<Config>, 'type' | 'configSchema' | 'tables' | 'views' | 'tablesFor' | 'viewsFor'>;
