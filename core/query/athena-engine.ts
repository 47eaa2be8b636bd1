import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClientConfig,
  type ColumnInfo,
  type QueryExecution,
  type Row,
} from '@aws-sdk/client-athena';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, QueryError, type ErrorContext } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { bindParams } from './sql.ts';
import type { QueryEngine, QueryParam, QueryRow, QueryValue } from './query-engine.ts';
import { awsClientConfig } from '../aws-client-config.ts';

export interface AthenaQueryEngineOptions {
  readonly workGroup: string;
  /** The Glue database the bare table names resolve in. */
  readonly database: string;
  /** Defaults to `AwsDataCatalog` (the Glue catalog). */
  readonly catalog?: string;
  /** A ready client (tests, custom middleware); the options below are then ignored and `close()` leaves it open. */
  readonly client?: AthenaClient;
  /** Defaults to the SDK's resolution (AWS_REGION); with an endpoint, to AWS_REGION or us-east-1. */
  readonly region?: string;
  /** An Athena-compatible endpoint (the test stand-in). Omit for AWS (the SDK also reads AWS_ENDPOINT_URL_ATHENA). */
  readonly endpoint?: string;
  /** Defaults to the SDK's credential chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Wait between GetQueryExecution polls: starts at `min`, doubles up to `max`. Default 200 → 5,000 ms. */
  readonly pollDelayMs?: { readonly min: number; readonly max: number };
  /** Stop the query (StopQueryExecution) and fail after this long. Default 14 minutes (a Lambda lives 15). */
  readonly timeoutMs?: number;
  readonly log?: Logger;
}

/** What Athena reported for one finished query (also what it bills: bytes scanned, 10 MB minimum). */
export interface AthenaQueryStatistics {
  readonly queryExecutionId: string;
  readonly dataScannedBytes: number;
  readonly engineMillis: number;
}

/** A query Athena did not run to SUCCEEDED (FAILED, CANCELLED, timed out) or an Athena API call that failed. */
export class AthenaQueryError extends QueryError {
  /** Undefined when StartQueryExecution itself failed. */
  readonly queryExecutionId: string | undefined;
  /** FAILED, CANCELLED, or the last state seen before a timeout (QUEUED, RUNNING); undefined for an API error. */
  readonly state: string | undefined;
  /** Athena's StateChangeReason (or the API error message). */
  readonly reason: string | undefined;

  constructor(message: string, options: {
    queryExecutionId?: string | undefined; state?: string | undefined; reason?: string | undefined; cause?: unknown; context?: ErrorContext;
  }) {
    super(message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      context: { queryExecutionId: options.queryExecutionId, state: options.state, reason: options.reason, ...options.context },
    });
    this.queryExecutionId = options.queryExecutionId;
    this.state = options.state;
    this.reason = options.reason;
  }
}

const DEFAULT_POLL = { min: 200, max: 5_000 } as const;
const DEFAULT_TIMEOUT_MS = 14 * 60_000;
/** GetQueryResults returns at most 1,000 rows per call. */
const PAGE_SIZE = 1000;
const SQL_IN_ERRORS = 500;

/**
 * Athena (engine v3) behind the query-engine port. The workgroup enforces the result location and
 * its encryption, so no ResultConfiguration is sent. A query is started, polled with exponential
 * backoff until it ends, and its results are paged with NextToken; Athena returns every value as
 * text, which is mapped back to JS values by the column types, exactly as the DuckDB engine maps
 * its own: integers → number when safe (else the digits as a string), date → 'YYYY-MM-DD',
 * timestamp → ISO 8601 UTC with 'Z'.
 */
export class AthenaQueryEngine implements QueryEngine {
  readonly #client: AthenaClient;
  readonly #ownsClient: boolean;
  readonly #workGroup: string;
  readonly #database: string;
  readonly #catalog: string;
  readonly #poll: { readonly min: number; readonly max: number };
  readonly #timeoutMs: number;
  readonly #log: Logger;
  #lastStatistics: AthenaQueryStatistics | undefined;

  constructor(options: AthenaQueryEngineOptions) {
    this.#workGroup = options.workGroup;
    this.#database = options.database;
    this.#catalog = options.catalog ?? 'AwsDataCatalog';
    this.#poll = options.pollDelayMs ?? DEFAULT_POLL;
    if (!(this.#poll.min > 0) || this.#poll.max < this.#poll.min) {
      throw new QueryError(`pollDelayMs needs 0 < min <= max, got ${JSON.stringify(this.#poll)}`);
    }
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#log = options.log ?? silentLogger;
    this.#ownsClient = options.client === undefined;
    this.#client = options.client ?? new AthenaClient(clientConfig(options));
  }

  /** Statistics of the last query that ended (SUCCEEDED, FAILED or CANCELLED). */
  get lastStatistics(): AthenaQueryStatistics | undefined {
    return this.#lastStatistics;
  }

  async query(sql: string, params: readonly QueryParam[] = []): Promise<QueryRow[]> {
    const bound = bindParams(sql, params);
    const where = { workGroup: this.#workGroup, database: this.#database, sql: bound.slice(0, SQL_IN_ERRORS) };
    const id = await this.#start(bound, where);
    const execution = await this.#waitForEnd(id, where);
    const state = execution.Status?.State;
    if (state !== 'SUCCEEDED') {
      const reason = execution.Status?.StateChangeReason ?? execution.Status?.AthenaError?.ErrorMessage;
      throw new AthenaQueryError(`Athena query ${id} ${state}${reason ? `: ${reason}` : ''}`, { queryExecutionId: id, state, reason, context: where });
    }
    // DDL (CREATE VIEW …) has no result set worth a round trip.
    if (execution.StatementType === 'DDL') return [];
    return this.#readResults(id, hasHeaderRow(execution), where);
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }

  async #start(sql: string, where: ErrorContext): Promise<string> {
    try {
      const started = await this.#client.send(new StartQueryExecutionCommand({
        QueryString: sql,
        QueryExecutionContext: { Database: this.#database, Catalog: this.#catalog },
        WorkGroup: this.#workGroup,
      }));
      if (!started.QueryExecutionId) throw new Error('StartQueryExecution returned no QueryExecutionId');
      return started.QueryExecutionId;
    } catch (cause) {
      throw apiError('StartQueryExecution', undefined, cause, where);
    }
  }

  /** Polls GetQueryExecution with exponential backoff until the query ends; stops it on timeout. */
  async #waitForEnd(id: string, where: ErrorContext): Promise<QueryExecution> {
    const started = Date.now();
    let delay = this.#poll.min;
    for (;;) {
      await sleep(delay);
      let execution: QueryExecution | undefined;
      try {
        execution = (await this.#client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
      } catch (cause) {
        throw apiError('GetQueryExecution', id, cause, where);
      }
      const state = execution?.Status?.State;
      this.#log.debug('athena query state', { queryExecutionId: id, state });
      if (execution && (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED')) {
        this.#recordStatistics(id, execution);
        return execution;
      }
      if (Date.now() - started >= this.#timeoutMs) {
        await this.#stop(id);
        throw new AthenaQueryError(`Athena query ${id} did not finish within ${this.#timeoutMs} ms (last state ${state}); it was stopped`, {
          queryExecutionId: id, state, reason: 'timeout', context: { ...where, timeoutMs: this.#timeoutMs },
        });
      }
      delay = Math.min(this.#poll.max, delay * 2);
    }
  }

  async #stop(id: string): Promise<void> {
    try {
      await this.#client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    } catch (error) {
      this.#log.warn('could not stop the Athena query', { queryExecutionId: id, error: describeError(error) });
    }
  }

  #recordStatistics(id: string, execution: QueryExecution): void {
    const statistics = {
      queryExecutionId: id,
      dataScannedBytes: execution.Statistics?.DataScannedInBytes ?? 0,
      engineMillis: execution.Statistics?.EngineExecutionTimeInMillis ?? 0,
    };
    this.#lastStatistics = statistics;
    this.#log.debug('athena query ended', { ...statistics, state: execution.Status?.State });
  }

  async #readResults(id: string, headerRow: boolean, where: ErrorContext): Promise<QueryRow[]> {
    const rows: QueryRow[] = [];
    let columns: ColumnInfo[] | undefined;
    let token: string | undefined;
    let first = true;
    do {
      let page;
      try {
        page = await this.#client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: PAGE_SIZE, NextToken: token }));
      } catch (cause) {
        throw apiError('GetQueryResults', id, cause, where);
      }
      columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const pageRows = page.ResultSet?.Rows ?? [];
      // Only a SELECT's first page starts with the column names.
      for (const row of first && headerRow ? pageRows.slice(1) : pageRows) rows.push(toQueryRow(row, columns));
      first = false;
      token = page.NextToken;
    } while (token);
    return rows;
  }
}

function clientConfig(options: AthenaQueryEngineOptions): AthenaClientConfig {
  return awsClientConfig(options);
}

/**
 * Athena puts the column names in the first row of the first page for SELECT statements only;
 * DDL, UTILITY (SHOW, DESCRIBE) and INSERT / CTAS results have no header row.
 */
function hasHeaderRow(execution: QueryExecution): boolean {
  if (execution.StatementType !== 'DML') return false;
  return execution.SubstatementType === undefined || execution.SubstatementType.toUpperCase() === 'SELECT';
}

function apiError(operation: string, id: string | undefined, cause: unknown, where: ErrorContext): AthenaQueryError {
  const status = (cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const name = cause instanceof Error ? cause.name : 'Error';
  const reason = describeError(cause);
  return new AthenaQueryError(`Athena ${operation} failed${id ? ` for query ${id}` : ''}: ${name}: ${reason}`, {
    queryExecutionId: id, reason, cause, context: { ...where, operation, ...(status === undefined ? {} : { status }) },
  });
}

function toQueryRow(row: Row, columns: readonly ColumnInfo[]): QueryRow {
  const out: QueryRow = {};
  const data = row.Data ?? [];
  columns.forEach((column, i) => {
    const name = column.Name ?? column.Label ?? `_col${i}`;
    out[name] = toValue(data[i]?.VarCharValue, column.Type ?? 'varchar');
  });
  return out;
}

/** Athena's text for one value → the JS value the port promises, by the column's Athena type. */
export function toValue(text: string | undefined, athenaType: string): QueryValue {
  if (text === undefined) return null;
  const type = athenaType.toLowerCase().replace(/\(.*?\)/g, '').replace(/\s+/g, ' ').trim();
  switch (type) {
    case 'tinyint': case 'smallint': case 'integer': case 'int': case 'bigint': {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'double': case 'float': case 'real': case 'decimal':
      return Number(text);
    case 'boolean':
      return text === 'true';
    case 'date':
      return text;
    case 'timestamp': case 'timestamp with time zone':
      return toIsoTimestamp(text);
    default:
      // varchar, char, and types the KPI SQL does not return (json, array, map, row …) as Athena prints them.
      return text;
  }
}

/**
 * `2026-11-22 01:02:03.456` (timestamp: UTC in this lake) or `2026-11-22 01:02:03.456 UTC` /
 * `… Asia/Seoul` / `… +09:00` (timestamp with time zone) → `2026-11-22T01:02:03.456Z`.
 */
export function toIsoTimestamp(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2}))?(?:\.(\d+))?\s*(.*)$/.exec(text.trim());
  if (!match) return text;
  const [, day, hourMinute, seconds = '00', fraction = '', zone = ''] = match;
  const wall = Date.parse(`${day}T${hourMinute}:${seconds}.${(fraction + '000').slice(0, 3)}Z`);
  if (Number.isNaN(wall)) return text;
  const offset = zoneOffsetMs(zone, wall);
  return offset === undefined ? text : new Date(wall - offset).toISOString();
}

/** The zone's offset from UTC (ms) at the given wall-clock time; undefined for a zone we cannot read. */
function zoneOffsetMs(zone: string, wall: number): number | undefined {
  if (zone === '' || zone === 'Z' || zone === 'UTC' || zone === 'GMT') return 0;
  const fixed = /^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
  try {
    // Two passes: the offset at the instant the wall time first maps to (right across DST changes).
    return offsetAt(zone, wall - offsetAt(zone, wall));
  } catch {
    return undefined;
  }
}

function offsetAt(zone: string, instant: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}
