import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describeError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { S3ObjectStore } from '../../core/lake/s3-store.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { QueryValue } from '../../core/query/query-engine.ts';
import type { LakeCatalog } from '../../core/table/lake-catalog.ts';

/**
 * A stand-in for Amazon Athena on 127.0.0.1, for tests that run the real AthenaClient with no AWS.
 *
 * Wire: AWS JSON 1.1 — `POST /`, `Content-Type: application/x-amz-json-1.1`,
 * `X-Amz-Target: AmazonAthena.<Operation>`; errors are HTTP 400 with `{"__type", "Message"}`.
 * Operations: StartQueryExecution, GetQueryExecution, GetQueryResults, StopQueryExecution.
 *
 * Execution: the SQL runs in ONE long-lived DuckDbEngine over a temp folder that mirrors the
 * bucket's objects under the prefix (refreshed before each query: new or changed objects are
 * downloaded by ETag, removed ones deleted), so tables see exactly what is in "S3". The tables are
 * the catalog's (as Glue would have them); views exist only once a `CREATE [OR REPLACE] VIEW`
 * statement arrives as a query, as in Athena. They persist in the DuckDB connection: DuckDbEngine
 * replaces only the table views before each query and DuckDB binds a view's body by name when it
 * is queried, so a model view survives the per-query table refresh (the tests prove this).
 *
 * Lifecycle per query: QUEUED at StartQueryExecution (which returns at once; the DuckDB work runs
 * behind it, one query at a time), RUNNING at the first GetQueryExecution, then SUCCEEDED or
 * FAILED at the next one that finds the work done, so a client must really poll.
 *
 * Limits: DuckDB, not Trino, runs the SQL (the repo keeps its SQL to the subset both run);
 * DataScannedInBytes is approximated as the size of every mirrored file under the tables the SQL
 * names (views expanded to their tables) — no partition pruning or column projection;
 * ExecutionParameters, ListQueryExecutions, workgroup and Glue APIs are not implemented; results
 * with duplicate column names keep the last one; values of types the lake does not use (arrays,
 * maps, intervals) are printed as DuckDB prints them.
 */
export interface AthenaStandInOptions {
  readonly s3Endpoint: string;
  readonly bucket: string;
  readonly prefix?: string;
  readonly catalog: LakeCatalog;
  /** The only workgroup that exists; other names are rejected like a missing workgroup. Default `primary`. */
  readonly workGroup?: string;
  /** When set, a query with another QueryExecutionContext.Database fails with SCHEMA_NOT_FOUND. */
  readonly database?: string;
}

export interface StandInQuery {
  readonly id: string;
  readonly sql: string;
  readonly state: string;
  /** Every state the query was in, in order (QUEUED, RUNNING, SUCCEEDED …). */
  readonly states: readonly string[];
  readonly statementType: string;
}

export interface StandInRequest {
  readonly operation: string;
  readonly queryExecutionId?: string;
}

export interface AthenaStandIn {
  readonly endpoint: string;
  queries(): ReadonlyArray<StandInQuery>;
  /** Every request received, in order (to count GetQueryResults pages, polls …). */
  requests(): ReadonlyArray<StandInRequest>;
  stop(): Promise<void>;
}

type State = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

interface Column {
  readonly name: string;
  readonly type: string;
  readonly precision: number;
  readonly scale: number;
}

interface Outcome {
  readonly ok: boolean;
  readonly reason?: string;
  readonly columns: readonly Column[];
  readonly rows: ReadonlyArray<ReadonlyArray<string | undefined>>;
  readonly scannedBytes: number;
  readonly engineMillis: number;
}

interface QueryRecord {
  readonly id: string;
  readonly sql: string;
  readonly statementType: 'DML' | 'DDL' | 'UTILITY';
  readonly substatementType: string;
  readonly workGroup: string;
  readonly context: { Database?: string; Catalog?: string };
  readonly submittedAt: number;
  state: State;
  readonly states: State[];
  completedAt?: number;
  outcome?: Outcome;
  reason?: string;
}

class ApiError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

const invalid = (message: string) => new ApiError('InvalidRequestException', message);

const MAX_PAGE = 1000;

export async function startAthenaStandIn(options: AthenaStandInOptions): Promise<AthenaStandIn> {
  const workGroup = options.workGroup ?? 'primary';
  const tables = options.catalog.tables;
  const s3 = new S3ObjectStore({
    bucket: options.bucket,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    endpoint: options.s3Endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const mirrorRoot = await mkdtemp(path.join(os.tmpdir(), 'athena-standin-'));
  const mirror = new LocalFolderStore(mirrorRoot);
  /** key (relative to the prefix) → ETag and size of the mirrored copy. */
  const mirrored = new Map<string, { etag: string; size: number }>();
  const engine = await DuckDbEngine.open({ lakeRoot: mirrorRoot, tables });
  /** View name → its SQL, from the CREATE VIEW statements run so far (to expand for scanned bytes). */
  const viewSql = new Map<string, string>();

  const records = new Map<string, QueryRecord>();
  const order: string[] = [];
  const tokens = new Map<string, string>();
  const requestLog: StandInRequest[] = [];
  let work: Promise<void> = Promise.resolve();

  async function syncMirror(): Promise<void> {
    const base = s3.prefix ? `${s3.prefix}/` : '';
    const listed = new Map<string, { etag: string; size: number }>();
    let token: string | undefined;
    do {
      const page = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: base, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (!object.Key?.startsWith(base) || object.Key.endsWith('/')) continue;
        listed.set(object.Key.slice(base.length), { etag: object.ETag ?? `${object.Size}-${object.LastModified?.getTime()}`, size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (const [key, meta] of listed) {
      if (mirrored.get(key)?.etag === meta.etag) continue;
      const body = await s3.get(key);
      if (body === undefined) continue; // deleted since the listing
      await mirror.put(key, body);
      mirrored.set(key, { etag: meta.etag, size: body.byteLength });
    }
    const removed = [...mirrored.keys()].filter((key) => !listed.has(key));
    if (removed.length > 0) await mirror.delete(removed);
    for (const key of removed) mirrored.delete(key);
  }

  /** Bytes of every mirrored file under the tables the SQL names, views expanded to what they read. */
  function scannedBytes(sql: string): number {
    const seen = new Set<string>();
    const visit = (text: string) => {
      for (const [name, body] of viewSql) {
        if (!seen.has(name) && mentions(text, name)) {
          seen.add(name);
          visit(body);
        }
      }
      for (const table of tables) if (mentions(text, table.name)) seen.add(table.name);
    };
    visit(sql);
    let bytes = 0;
    for (const table of tables) {
      if (!seen.has(table.name)) continue;
      const prefix = `${table.location}/`;
      for (const [key, meta] of mirrored) if (key.startsWith(prefix) && key.endsWith('.parquet')) bytes += meta.size;
    }
    return bytes;
  }

  async function execute(record: QueryRecord): Promise<Outcome> {
    const started = performance.now();
    const done = (partial: Omit<Outcome, 'engineMillis'>): Outcome => ({ ...partial, engineMillis: Math.max(1, Math.round(performance.now() - started)) });
    const database = record.context.Database;
    if (options.database && database && database !== options.database) {
      return done({ ok: false, reason: `SCHEMA_NOT_FOUND: line 1:1: Schema '${database}' does not exist`, columns: [], rows: [], scannedBytes: 0 });
    }
    const catalog = record.context.Catalog;
    if (catalog && catalog.toLowerCase() !== 'awsdatacatalog') {
      return done({ ok: false, reason: `CATALOG_NOT_FOUND: line 1:1: Catalog '${catalog}' does not exist`, columns: [], rows: [], scannedBytes: 0 });
    }
    try {
      await syncMirror();
      const sql = record.sql.trim().replace(/;\s*$/, '');
      if (record.substatementType === 'SELECT') {
        // DuckDbEngine returns plain JS values; DESCRIBE gives the column types Athena reports.
        const described = await engine.query(`DESCRIBE ${sql}`);
        const columns = described.map((d) => athenaColumn(String(d.column_name), String(d.column_type)));
        const rows = await engine.query(sql);
        return done({ ok: true, columns, rows: rows.map((row) => columns.map((c) => athenaText(row[c.name] ?? null, c))), scannedBytes: scannedBytes(sql) });
      }
      const rows = await engine.query(sql);
      if (record.substatementType === 'CREATE_VIEW') {
        const view = /^create\s+(?:or\s+replace\s+)?view\s+([a-z_][a-z0-9_]*)\s+as\s+([\s\S]*)$/i.exec(sql);
        if (view) viewSql.set(view[1]!.toLowerCase(), view[2]!);
      }
      if (record.statementType === 'DDL') return done({ ok: true, columns: [], rows: [], scannedBytes: 0 });
      // UTILITY (SHOW, DESCRIBE …): every column as varchar.
      const names = rows[0] ? Object.keys(rows[0]) : [];
      const columns = names.map((name) => athenaColumn(name, 'VARCHAR'));
      return done({ ok: true, columns, rows: rows.map((row) => columns.map((c) => athenaText(row[c.name] ?? null, c))), scannedBytes: 0 });
    } catch (error) {
      return done({ ok: false, reason: describeError(error).replace(/^query failed: /, ''), columns: [], rows: [], scannedBytes: 0 });
    }
  }

  function transition(record: QueryRecord, state: State): void {
    record.state = state;
    record.states.push(state);
    if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') record.completedAt = Date.now();
  }

  function startQuery(input: Record<string, unknown>): { QueryExecutionId: string } {
    const sql = input.QueryString;
    if (typeof sql !== 'string' || sql.trim() === '') throw invalid('QueryString must not be empty');
    if (sql.length > 262_144) throw invalid('QueryString is longer than 262144 characters');
    const requestedWorkGroup = typeof input.WorkGroup === 'string' ? input.WorkGroup : 'primary';
    if (requestedWorkGroup !== workGroup) throw invalid(`WorkGroup ${requestedWorkGroup} is not found.`);
    if (Array.isArray(input.ExecutionParameters) && input.ExecutionParameters.length > 0) {
      throw invalid('ExecutionParameters are not supported by this stand-in');
    }
    const token = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined;
    if (token && tokens.has(token)) {
      const existing = records.get(tokens.get(token)!)!;
      if (existing.sql !== sql) throw invalid('Idempotent parameters do not match');
      return { QueryExecutionId: existing.id };
    }
    const context = (input.QueryExecutionContext ?? {}) as { Database?: string; Catalog?: string };
    const [statementType, substatementType] = classify(sql);
    const record: QueryRecord = {
      id: randomUUID(), sql, statementType, substatementType, workGroup, context: { ...context },
      submittedAt: Date.now(), state: 'QUEUED', states: ['QUEUED'],
    };
    records.set(record.id, record);
    order.push(record.id);
    if (token) tokens.set(token, record.id);
    // The DuckDB work runs behind the state machine, one query at a time on the one connection.
    work = work.then(async () => {
      if (record.state === 'CANCELLED') return;
      record.outcome = await execute(record);
    });
    return { QueryExecutionId: record.id };
  }

  function find(input: Record<string, unknown>): QueryRecord {
    const id = input.QueryExecutionId;
    if (typeof id !== 'string' || id === '') throw invalid('QueryExecutionId must not be empty');
    const record = records.get(id);
    if (!record) throw invalid(`QueryExecution ${id} was not found`);
    return record;
  }

  function getQueryExecution(input: Record<string, unknown>): unknown {
    const record = find(input);
    if (record.state === 'QUEUED') transition(record, 'RUNNING');
    else if (record.state === 'RUNNING' && record.outcome) {
      if (record.outcome.ok) transition(record, 'SUCCEEDED');
      else {
        record.reason = record.outcome.reason;
        transition(record, 'FAILED');
      }
    }
    const ended = record.state === 'SUCCEEDED' || record.state === 'FAILED';
    return {
      QueryExecution: {
        QueryExecutionId: record.id,
        Query: record.sql,
        StatementType: record.statementType,
        SubstatementType: record.substatementType,
        ResultConfiguration: { OutputLocation: `s3://${options.bucket}/athena-results/${record.id}.csv` },
        QueryExecutionContext: record.context,
        Status: {
          State: record.state,
          ...(record.reason ? { StateChangeReason: record.reason } : {}),
          ...(record.state === 'FAILED' ? { AthenaError: { ErrorCategory: 2, Retryable: false, ErrorMessage: record.reason } } : {}),
          SubmissionDateTime: record.submittedAt / 1000,
          ...(record.completedAt ? { CompletionDateTime: record.completedAt / 1000 } : {}),
        },
        Statistics: {
          EngineExecutionTimeInMillis: ended ? record.outcome?.engineMillis ?? 0 : 0,
          DataScannedInBytes: ended ? record.outcome?.scannedBytes ?? 0 : 0,
          TotalExecutionTimeInMillis: (record.completedAt ?? Date.now()) - record.submittedAt,
        },
        WorkGroup: record.workGroup,
        EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
      },
    };
  }

  function getQueryResults(input: Record<string, unknown>): unknown {
    const record = find(input);
    if (record.state === 'QUEUED' || record.state === 'RUNNING') throw invalid(`Query has not yet finished. Current state: ${record.state}`);
    if (record.state !== 'SUCCEEDED' || !record.outcome) throw invalid(`Query did not finish successfully. Final query state: ${record.state}`);
    const maxResults = input.MaxResults ?? MAX_PAGE;
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_PAGE) {
      throw invalid(`MaxResults must be between 1 and ${MAX_PAGE}`);
    }
    const { columns, rows } = record.outcome;
    // A SELECT's first row is the header; it counts against MaxResults like any row.
    const all = record.substatementType === 'SELECT' ? [columns.map((c) => c.name), ...rows] : rows;
    const offset = readToken(input.NextToken, record.id);
    const page = all.slice(offset, offset + maxResults);
    const next = offset + maxResults;
    return {
      UpdateCount: 0,
      ResultSet: {
        Rows: page.map((row) => ({ Data: row.map((value) => (value === undefined ? {} : { VarCharValue: value })) })),
        ResultSetMetadata: {
          ColumnInfo: columns.map((c) => ({
            CatalogName: 'hive', SchemaName: '', TableName: '', Name: c.name, Label: c.name, Type: c.type,
            Precision: c.precision, Scale: c.scale, Nullable: 'UNKNOWN', CaseSensitive: c.type === 'varchar',
          })),
        },
      },
      ...(next < all.length ? { NextToken: Buffer.from(JSON.stringify({ id: record.id, offset: next })).toString('base64url') } : {}),
    };
  }

  function stopQuery(input: Record<string, unknown>): unknown {
    const record = find(input);
    if (record.state === 'QUEUED' || record.state === 'RUNNING') transition(record, 'CANCELLED');
    return {};
  }

  const handlers: Record<string, (input: Record<string, unknown>) => unknown> = {
    StartQueryExecution: startQuery,
    GetQueryExecution: getQueryExecution,
    GetQueryResults: getQueryResults,
    StopQueryExecution: stopQuery,
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
      response.end(JSON.stringify(body));
    };
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AmazonAthena.') ? target.slice('AmazonAthena.'.length) : '';
      const handler = handlers[operation];
      if (request.method !== 'POST' || request.url !== '/' || !handler) {
        throw new ApiError('UnknownOperationException', `Unknown operation ${JSON.stringify(target)}`);
      }
      if (!String(request.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
        throw new ApiError('SerializationException', 'Content-Type must be application/x-amz-json-1.1');
      }
      let input: Record<string, unknown>;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        input = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        throw new ApiError('SerializationException', 'request body is not valid JSON');
      }
      requestLog.push({ operation, ...(typeof input.QueryExecutionId === 'string' ? { queryExecutionId: input.QueryExecutionId } : {}) });
      reply(200, handler(input));
    } catch (error) {
      if (error instanceof ApiError) reply(error.status, { __type: error.type, Message: error.message });
      else reply(500, { __type: 'InternalServerException', Message: describeError(error) });
    }
  }

  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    queries: () => order.map((id) => {
      const r = records.get(id)!;
      return { id: r.id, sql: r.sql, state: r.state, states: [...r.states], statementType: r.statementType };
    }),
    requests: () => [...requestLog],
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await work.catch(() => undefined);
      await engine.close();
      s3.client.destroy();
      await rm(mirrorRoot, { recursive: true, force: true });
    },
  };
}

function readToken(token: unknown, id: string): number {
  if (token === undefined || token === null) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as { id?: unknown; offset?: unknown };
    if (parsed.id === id && typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) return parsed.offset;
  } catch {
    // fall through
  }
  throw invalid('The NextToken is not valid for this query');
}

/** Athena's StatementType and SubstatementType, from the leading keyword(s). */
function classify(sql: string): ['DML' | 'DDL' | 'UTILITY', string] {
  const text = sql.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()+/, '').toUpperCase();
  const words = text.split(/\s+/, 4);
  switch (words[0]) {
    case 'SELECT': case 'WITH': case 'VALUES': case 'TABLE': return ['DML', 'SELECT'];
    case 'INSERT': return ['DML', 'INSERT'];
    case 'CREATE':
      if (/^CREATE\s+(OR\s+REPLACE\s+)?VIEW\b/.test(text)) return ['DDL', 'CREATE_VIEW'];
      if (/^CREATE\s+TABLE\b[\s\S]*\bAS\b/.test(text)) return ['DML', 'CREATE_TABLE_AS_SELECT'];
      return ['DDL', 'CREATE_TABLE'];
    case 'DROP': return ['DDL', words[1] === 'VIEW' ? 'DROP_VIEW' : 'DROP_TABLE'];
    case 'ALTER': case 'MSCK': return ['DDL', 'ALTER_TABLE'];
    case 'SHOW': return ['UTILITY', 'SHOW'];
    case 'DESCRIBE': case 'DESC': return ['UTILITY', 'DESCRIBE_TABLE'];
    case 'EXPLAIN': return ['UTILITY', 'EXPLAIN'];
    default: return ['DML', 'SELECT'];
  }
}

function mentions(sql: string, name: string): boolean {
  return new RegExp(`(^|[^a-z0-9_])${name}($|[^a-z0-9_])`, 'i').test(sql);
}

/** A DuckDB result type → the type, precision and scale Athena (Trino) reports for it. */
function athenaColumn(name: string, duckType: string): Column {
  const type = duckType.toUpperCase();
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return { name, type: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) };
  if (type.startsWith('TIMESTAMP')) return { name, type: 'timestamp', precision: 3, scale: 0 };
  switch (type) {
    case 'BIGINT': case 'HUGEINT': case 'UBIGINT': case 'UINTEGER': return { name, type: 'bigint', precision: 19, scale: 0 };
    case 'INTEGER': case 'USMALLINT': return { name, type: 'integer', precision: 10, scale: 0 };
    case 'SMALLINT': case 'UTINYINT': return { name, type: 'smallint', precision: 5, scale: 0 };
    case 'TINYINT': return { name, type: 'tinyint', precision: 3, scale: 0 };
    case 'DOUBLE': return { name, type: 'double', precision: 17, scale: 0 };
    case 'FLOAT': return { name, type: 'real', precision: 9, scale: 0 };
    case 'BOOLEAN': return { name, type: 'boolean', precision: 0, scale: 0 };
    case 'DATE': return { name, type: 'date', precision: 0, scale: 0 };
    default: return { name, type: 'varchar', precision: 2147483647, scale: 0 };
  }
}

/** A value as DuckDbEngine returns it → the text Athena puts in VarCharValue (undefined for NULL). */
function athenaText(value: QueryValue, column: Column): string | undefined {
  if (value === null) return undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (column.type === 'decimal') return value.toFixed(column.scale);
    const text = String(value);
    // Plain decimal, never exponent notation.
    return /e/i.test(text) && Number.isFinite(value) ? value.toLocaleString('en-US', { useGrouping: false, maximumSignificantDigits: 17 }) : text;
  }
  // DuckDbEngine gives timestamps as ISO `…T…Z`; Athena prints `YYYY-MM-DD HH:MM:SS.fff`.
  if (column.type === 'timestamp') return value.replace('T', ' ').replace(/Z$/, '');
  return value;
}

