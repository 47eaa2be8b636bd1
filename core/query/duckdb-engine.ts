import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { QueryError } from '../errors.ts';
import type { ColumnType, TableSchema, ViewDefinition } from '../table/schema.ts';
import { orderByDependency, type LakeCatalog } from '../table/lake-catalog.ts';

export type { LakeCatalog };
import { bindParams, quoteString } from './sql.ts';
import type { QueryEngine, QueryParam, QueryRow } from './query-engine.ts';

/**
 * DuckDB over the local lake: every table is a view under its public name over
 * `<lake>/<location>/dt=*\/*.parquet`, and every model view is created over those with the same SQL
 * Athena runs, so the KPI SQL runs unchanged on Athena and here.
 */
export class DuckDbEngine implements QueryEngine {
  readonly #connection: DuckDBConnection;
  readonly #instance: DuckDBInstance;
  readonly #lakeRoot: string;
  readonly #tables: readonly TableSchema[];
  readonly #views: readonly ViewDefinition[];

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection, lakeRoot: string, catalog: LakeCatalog) {
    this.#instance = instance;
    this.#connection = connection;
    this.#lakeRoot = lakeRoot;
    this.#tables = catalog.tables;
    this.#views = orderByDependency(catalog.views ?? []);
  }

  static async open(options: { lakeRoot: string } & LakeCatalog): Promise<DuckDbEngine> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    // Trino truncates integer division; DuckDB returns a double unless told otherwise.
    await connection.run('SET integer_division = true');
    await connection.run("SET TimeZone = 'UTC'");
    for (const macro of trinoCompatibilityMacros) await connection.run(macro);
    return new DuckDbEngine(instance, connection, path.resolve(options.lakeRoot), options);
  }

  async query(sql: string, params: readonly QueryParam[] = []): Promise<QueryRow[]> {
    const bound = bindParams(sql, params);
    try {
      return await this.#run(bound);
    } catch (error) {
      // DuckDB may open a Parquet file twice in one query; a rename in between (a partition being
      // replaced) fails that query with an I/O error although every file is whole. Asked again, it answers.
      if (!(error instanceof QueryError) || !/IO Error/i.test(error.message)) throw error;
      return this.#run(bound);
    }
  }

  async #run(bound: string): Promise<QueryRow[]> {
    try {
      // Views are rebuilt per query: cheap, and a table that got its first file since is then visible.
      await this.#refreshViews();
      const reader = await this.#connection.runAndReadAll(bound);
      const types = reader.columnTypes().map((t) => t.toString());
      const names = reader.columnNames();
      return reader.getRowObjectsJson().map((row) => {
        const out: QueryRow = {};
        names.forEach((name, i) => (out[name] = convert(row[name], types[i]!)));
        return out;
      });
    } catch (cause) {
      throw new QueryError(`query failed: ${(cause as Error).message}`, { cause, context: { sql: bound.slice(0, 500) } });
    }
  }

  async close(): Promise<void> {
    this.#connection.closeSync();
    this.#instance.closeSync();
  }

  async #refreshViews(): Promise<void> {
    for (const table of this.#tables) {
      const folder = path.join(this.#lakeRoot, table.location);
      const partitioned = table.partitioned !== false;
      const sql = (await hasParquetFiles(folder, partitioned))
        ? `CREATE OR REPLACE VIEW ${table.name} AS SELECT * FROM read_parquet(` + (partitioned
          ? `${quoteString(path.join(folder, 'dt=*', '*.parquet'))}, hive_partitioning = true, union_by_name = true, hive_types = {'dt': VARCHAR})`
          : `${quoteString(path.join(folder, '*.parquet'))}, union_by_name = true)`)
        : `CREATE OR REPLACE VIEW ${table.name} AS SELECT ${table.columns.map((c) => `CAST(NULL AS ${duckDbType(c.type)}) AS ${c.name}`).join(', ')}` +
          `${partitioned ? ', CAST(NULL AS VARCHAR) AS dt' : ''} WHERE false`;
      await this.#connection.run(sql);
    }
    for (const view of this.#views) {
      await this.#connection.run(`CREATE OR REPLACE VIEW ${view.name} AS ${view.sql}`);
    }
  }
}

/** Small DuckDB macros for the Trino functions the KPI SQL may use. */
const trinoCompatibilityMacros = [
  // Trino's at_timezone(timestamp, zone); AT TIME ZONE itself is not in node-sql-parser's Trino grammar.
  'CREATE OR REPLACE MACRO at_timezone(ts, zone) AS timezone(zone, CAST(ts AS TIMESTAMPTZ))',
  'CREATE OR REPLACE MACRO day_of_week(d) AS isodow(d)',
  'CREATE OR REPLACE MACRO approx_percentile(x, p) AS approx_quantile(x, p)',
];

export function duckDbType(type: ColumnType): string {
  switch (type) {
    case 'string': return 'VARCHAR';
    case 'int64': return 'BIGINT';
    case 'double': return 'DOUBLE';
    case 'boolean': return 'BOOLEAN';
    case 'date': return 'DATE';
    case 'timestamp': return 'TIMESTAMPTZ';
  }
}

async function hasParquetFiles(folder: string, partitioned: boolean): Promise<boolean> {
  try {
    if (!partitioned) return (await readdir(folder)).some((f) => f.endsWith('.parquet') && !f.startsWith('.'));
    const partitions = await readdir(folder, { withFileTypes: true });
    for (const entry of partitions) {
      if (!entry.isDirectory() || !entry.name.startsWith('dt=')) continue;
      const files = await readdir(path.join(folder, entry.name));
      if (files.some((f) => f.endsWith('.parquet') && !f.startsWith('.'))) return true;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return false;
}

const integerTypes = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT']);

function convert(value: unknown, type: string): QueryRow[string] {
  if (value === null || value === undefined) return null;
  if (integerTypes.has(type) || type.startsWith('DECIMAL')) {
    const n = Number(value);
    return Number.isSafeInteger(n) || type.startsWith('DECIMAL') ? n : String(value);
  }
  if (type.startsWith('TIMESTAMP')) return toIsoTimestamp(String(value));
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/** DuckDB prints `2026-11-22 01:02:03.456+00` (or no offset for plain TIMESTAMP, which is UTC here). */
function toIsoTimestamp(text: string): string {
  const iso = text.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
  const parsed = new Date(/[zZ]|[+-]\d{2}:\d{2}$/.test(iso) ? iso : iso + 'Z');
  return Number.isNaN(parsed.getTime()) ? text : parsed.toISOString();
}
