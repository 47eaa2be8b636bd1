/**
 * Reads the tables of a local lake with DuckDB and compares them with a clean run's, row for row:
 * count, distinct primary keys, sums of every numeric column, and the multiset of whole rows (every
 * column but `synced_at`, which records when a row was read).
 */
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import { rejectsTable } from '../../core/sync/rejects.ts';
import type { TableSchema, ViewDefinition } from '../../core/table/schema.ts';

export interface TableContent {
  readonly table: string;
  /** `append` tables keep every version read (a re-read after a crash appends it again: their views dedupe). */
  readonly kind: 'overwrite' | 'append' | 'view';
  readonly rows: number;
  readonly distinctKeys: number;
  readonly sums: Readonly<Record<string, number>>;
  /** Every row as canonical JSON, sorted. */
  readonly canonicalRows: readonly string[];
  /** The column that picks a row's `dt=` partition (tables), and its smallest value. */
  readonly partitionField?: string;
  readonly firstPartition?: string;
}

export interface TableComparison {
  readonly table: string;
  readonly rowsExpected: number;
  readonly rowsFound: number;
  readonly kind: TableContent['kind'];
  /** Rows past the first with the same primary key (overwrite tables and views). */
  readonly duplicates: number;
  /** Append tables: versions appended again by a re-read (identical rows; the _latest views keep one). */
  readonly reappended: number;
  /** Rows of the clean run missing from this lake. */
  readonly losses: number;
  /** Rows here that the clean run does not have (a changed value, a stray row), in the clean run's dates. */
  readonly unexpected: number;
  /**
   * Rows dated before the clean run's first date: a rerun whose lookback reaches before the first
   * window (see the README, Reliability). Real data, outside the configured start.
   */
  readonly beforeStart: number;
  /** Numeric columns whose sums differ from the clean run's. */
  readonly sumMismatches: readonly string[];
}

const timestampColumns = new Set(['synced_at']);
const numericTypes = new Set(['int32', 'int64', 'double', 'float', 'decimal']);

export interface LakeShape {
  readonly tables: readonly TableSchema[];
  readonly views: readonly ViewDefinition[];
  /** Primary key per table or view. */
  readonly keys: ReadonlyMap<string, readonly string[]>;
  readonly appendTables: ReadonlySet<string>;
  /** The column that picks each table's `dt=` partition. */
  readonly partitionFields: ReadonlyMap<string, string>;
}

export async function readLakeTables(lakeRoot: string, shape: LakeShape): Promise<Map<string, TableContent>> {
  const engine = await DuckDbEngine.open({ lakeRoot, tables: shape.tables, views: shape.views });
  try {
    const out = new Map<string, TableContent>();
    for (const table of [...shape.tables, ...shape.views]) {
      const key = shape.keys.get(table.name);
      if (!key || key.length === 0) throw new Error(`no primary key known for ${table.name}`);
      const numeric = table.columns.filter((c) => numericTypes.has(c.type)).map((c) => c.name);
      const [figures] = await engine.query(
        `SELECT count(*) AS row_count, count(DISTINCT (${key.join(', ')})) AS key_count` +
        numeric.map((name) => `, coalesce(sum(${name}), 0) AS sum_${name}`).join('') + ` FROM ${table.name}`,
      );
      const kept = table.columns.map((c) => c.name).filter((name) => !timestampColumns.has(name));
      const rows = await engine.query(`SELECT ${kept.join(', ')} FROM ${table.name}`);
      const partitionField = shape.partitionFields.get(table.name);
      const partitions = partitionField ? rows.map((row) => dateText(row[partitionField])).sort() : [];
      const kind = shape.views.includes(table as ViewDefinition) ? 'view' : shape.appendTables.has(table.name) ? 'append' : 'overwrite';
      out.set(table.name, {
        table: table.name,
        kind,
        rows: Number(figures!['row_count']),
        distinctKeys: Number(figures!['key_count']),
        sums: Object.fromEntries(numeric.map((name) => [name, Number(figures![`sum_${name}`])])),
        canonicalRows: rows.map(canonical).sort(),
        ...(partitionField ? { partitionField } : {}),
        ...(partitions[0] === undefined ? {} : { firstPartition: partitions[0] }),
      });
    }
    return out;
  } finally {
    await engine.close();
  }
}

export function compareTables(expected: TableContent, found: TableContent | undefined): TableComparison {
  const append = expected.kind === 'append';
  // Append tables are compared as sets of versions; the rest row for row.
  const foundRows = append ? [...new Set(found?.canonicalRows ?? [])] : found?.canonicalRows ?? [];
  const remaining = new Map<string, number>();
  for (const row of append ? new Set(expected.canonicalRows) : expected.canonicalRows) remaining.set(row, (remaining.get(row) ?? 0) + 1);
  let unexpected = 0;
  let beforeStart = 0;
  for (const row of foundRows) {
    const left = remaining.get(row) ?? 0;
    if (left > 0) remaining.set(row, left - 1);
    else if (isBefore(row, expected)) beforeStart += 1;
    else unexpected += 1;
  }
  const losses = [...remaining.values()].reduce((sum, n) => sum + n, 0);
  // An append table's sums count re-appended versions again (its views' sums are compared instead);
  // rows before the start add to the sums too (they are counted apart).
  const sumMismatches = append || beforeStart > 0 ? [] : Object.entries(expected.sums)
    .filter(([name, value]) => !nearlyEqual(value, found?.sums[name] ?? 0))
    .map(([name]) => name);
  const extraRows = found ? found.rows - found.distinctKeys : 0;
  return {
    table: expected.table,
    kind: expected.kind,
    rowsExpected: expected.rows,
    // In the clean run's dates (rows before them are counted in beforeStart).
    rowsFound: append ? new Set(found?.canonicalRows ?? []).size : (found?.rows ?? 0) - beforeStart,
    duplicates: append ? 0 : extraRows,
    reappended: append ? extraRows : 0,
    losses,
    unexpected,
    beforeStart,
    sumMismatches,
  };
}

function isBefore(row: string, expected: TableContent): boolean {
  if (!expected.partitionField || !expected.firstPartition) return false;
  const value = (JSON.parse(row) as [string, unknown][]).find(([name]) => name === expected.partitionField)?.[1];
  return dateText(value) < expected.firstPartition;
}

function dateText(value: unknown): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
}

function canonical(row: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(Object.keys(row).sort().map((name) => {
    const value = row[name];
    return [name, typeof value === 'bigint' ? value.toString() : value instanceof Date ? value.toISOString() : value];
  }));
}

function nearlyEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** The distinct records each source quarantined (`_rejects`): `<stream>\u0000<raw payload>` per source id. */
export async function readQuarantine(lakeRoot: string): Promise<Map<string, Set<string>>> {
  const engine = await DuckDbEngine.open({ lakeRoot, tables: [rejectsTable], views: [] });
  try {
    const rows = await engine.query(`SELECT DISTINCT source_id, stream, raw_payload FROM "_rejects"`);
    const out = new Map<string, Set<string>>();
    for (const row of rows) {
      const source = String(row.source_id);
      if (!out.has(source)) out.set(source, new Set());
      out.get(source)!.add(`${String(row.stream)}\u0000${String(row.raw_payload)}`);
    }
    return out;
  } finally {
    await engine.close();
  }
}

export interface QuarantineComparison {
  /** Distinct records the clean run quarantined. */
  readonly expected: number;
  readonly found: number;
  /** Quarantined by the clean run, not here: a record dropped without a trace. */
  readonly missing: number;
  /** Quarantined here, not by the clean run. */
  readonly unexpected: number;
}

export function compareQuarantine(expected: ReadonlySet<string> | undefined, found: ReadonlySet<string> | undefined): QuarantineComparison {
  const want = expected ?? new Set<string>();
  const got = found ?? new Set<string>();
  return {
    expected: want.size, found: got.size,
    missing: [...want].filter((record) => !got.has(record)).length,
    unexpected: [...got].filter((record) => !want.has(record)).length,
  };
}
