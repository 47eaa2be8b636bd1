import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { DataType, TimeUnit, tableFromIPC, type Field } from 'apache-arrow';
import fc from 'fast-check';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readParquet } from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../connectors/sandbox-kit/seeded-random.ts';
import { LakeError } from '../../core/errors.ts';
import { putParquetStream } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { encodeParquet } from '../../core/lake/parquet.ts';
import { writeParquetStream } from '../../core/lake/parquet-stream.ts';
import { quoteString } from '../../core/query/sql.ts';
import type { CellValue, Column, ColumnType, Row, TableSchema } from '../../core/table/schema.ts';
import { decodeParquetRows } from '../support/parquet-rows.ts';
import { tempDirs } from '../support/temp-dir.ts';

/**
 * What any Parquet writer of the lake must produce, whatever its implementation: the files written
 * by encodeParquet, writeParquetStream and putParquetStream are read by two independent readers,
 * DuckDB and parquet-rs (parquet-wasm), and must give back exactly the values written, in the
 * types Athena reads, with ZSTD column chunks, row groups of the size asked for, and statistics
 * that are each row group's true min, max and null count.
 *
 * Values are compared normalised: int64 as bigint, dates as `YYYY-MM-DD`, timestamps as epoch
 * microseconds (bigint), doubles with their sign (-0 is not 0).
 */

const column = (name: string, type: ColumnType, nullable = true): Column => ({ name, type, nullable, description: name });
const columnTypes: readonly ColumnType[] = ['string', 'int64', 'double', 'boolean', 'date', 'timestamp'];

/** Every type, nullable (`<type>`) and required (`<type>_req`). */
const everyType: TableSchema = {
  name: 'conformance', description: 'every column type', location: 'raw/conformance',
  columns: columnTypes.flatMap((type) => [column(type, type), column(`${type}_req`, type, false)]),
};
/** everyType plus one column of each type that holds only nulls. */
const withNullColumns: TableSchema = {
  ...everyType, columns: [...everyType.columns, ...columnTypes.map((type) => column(`null_${type}`, type))],
};

// ---------------------------------------------------------------------------------------------
// Values at the edges of each type. A column's values cycle through its list, so each list is
// seen in a different alignment (none a multiple of 8 rows, for the validity and boolean bits).

const long = '가나다😀'.repeat(20_000); // 100,000 UTF-16 units, 240,000 UTF-8 bytes
const shortStrings = [
  '', 'plain ASCII', '봄 세일 캠페인', '😀', '👍🏽 🇰🇷 𝄞', 'ﬀ', '\u{10FFFF}', 'say "hi", it\'s', 'line 1\nline 2\r\n\ttab',
  'NUL\0inside', '\0', 'é and e\u0301', '\\ back\\slash',
];
const edgeStrings: CellValue[] = [null, ...shortStrings, long, 'x'.repeat(100_000)];
const edgeInts: CellValue[] = [
  null, 0, 1, -1, 4_294_967_295, 4_294_967_296, -4_294_967_296, -4_294_967_297, 2 ** 53 - 1, 2 ** 53, -(2 ** 53 - 1), -(2 ** 53),
  2n ** 53n + 1n, -(2n ** 53n) - 1n, 1_234_567_890_123_456_789n, -9223372036854775808n, 9223372036854775807n,
];
const edgeDoubles: CellValue[] = [
  null, 0, -0, 0.1, -2.5, 1 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
  1e-7, 123_456.789, 2 ** 53 + 2, -1e21, Number.EPSILON,
];
const edgeBooleans: CellValue[] = [true, false, null, true, true, false, null, null, false, true, true];
const edgeDates: CellValue[] = [
  null, '1970-01-01', '1969-12-31', '1900-01-01', '2999-12-31', '2000-02-29', '1000-01-01', '9999-12-31', '2026-11-22', '0100-03-01', '0050-06-01', '0001-01-01',
];
const edgeTimestamps: CellValue[] = [
  null, new Date('2026-11-23T01:02:03.456Z'), new Date(0), new Date(-1), new Date('1900-01-01T00:00:00.001Z'),
  '1969-07-20T20:17:40.123-05:00', '2026-03-29T01:30:00.999+09:00', '2026-01-01T00:00:00Z', '2999-12-31T23:59:59.999+14:00',
  '1000-01-01T00:00:00.000Z', '2026-06-15T12:00:00.500-09:30', new Date('9999-12-31T23:59:59.999Z'),
];
const edgeValues: Record<ColumnType, readonly CellValue[]> = {
  string: edgeStrings, int64: edgeInts, double: edgeDoubles, boolean: edgeBooleans, date: edgeDates, timestamp: edgeTimestamps,
};
const edgeRowCount = 37;

/** 37 rows over withNullColumns: every edge value of every type at least twice, nulls only where allowed. */
function edgeRows(): Row[] {
  return Array.from({ length: edgeRowCount }, (_, i) => {
    const row: Row = {};
    for (const type of columnTypes) {
      const values = edgeValues[type];
      const required = values.filter((v) => v !== null);
      row[type] = values[i % values.length]!;
      // A different stride, so the required column is not the nullable one without its nulls.
      row[`${type}_req`] = required[(i * 7 + 3) % required.length]!;
      row[`null_${type}`] = null;
    }
    return row;
  });
}

const dayMillis = 86_400_000;
const isoDay = (epochDay: number): string => new Date(epochDay * dayMillis).toISOString().slice(0, 10);

/** `count` rows over everyType, nulls in about one nullable cell in six. Strings are short: no 100,000-character ones here. */
function sampleRows(count: number, seed: number): Row[] {
  const random = mulberry32(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const value = (type: ColumnType, i: number): CellValue => {
    switch (type) {
      case 'string': return random() < 0.5 ? pick(shortStrings) : `row ${i} ${pick(shortStrings)}`;
      case 'int64': return random() < 0.3 ? pick(edgeInts.slice(1)) : Math.floor((random() - 0.5) * 2 ** 40);
      case 'double': return random() < 0.3 ? pick(edgeDoubles.slice(1)) : (random() - 0.5) * 10 ** Math.floor(random() * 20 - 10);
      case 'boolean': return random() < 0.5;
      case 'date': return isoDay(Math.floor((random() - 0.5) * 200_000));
      case 'timestamp': {
        const millis = Math.floor((random() - 0.5) * 2 * 4_000_000_000_000);
        return random() < 0.5 ? new Date(millis) : new Date(millis).toISOString();
      }
    }
  };
  return Array.from({ length: count }, (_, i) => {
    const row: Row = {};
    for (const type of columnTypes) {
      row[type] = random() < 1 / 6 ? null : value(type, i);
      row[`${type}_req`] = value(type, i);
    }
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// The writers, each giving a file on disk.

const temps = tempDirs('kpi-parquet-conformance-');
let filesMade = 0;
/** A path no file had before: DuckDB caches a file's metadata by path. */
async function newFile(): Promise<string> {
  return path.join(await temps.make(), `file-${++filesMade}.parquet`);
}

interface WriteOptions {
  /** For the streaming writers; encodeParquet chooses its own row groups. */
  readonly rowGroupRows?: number;
  readonly batchRows?: number;
}

interface Writer {
  readonly name: string;
  /** Takes rowGroupRows: its row groups are exactly that size, the last shorter. */
  readonly streams: boolean;
  write(table: TableSchema, rows: readonly Row[], options?: WriteOptions): Promise<string>;
}

async function* batchesOf(rows: readonly Row[], size: number): AsyncGenerator<Row[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

const writers: readonly Writer[] = [
  {
    name: 'encodeParquet', streams: false,
    async write(table, rows) {
      const file = await newFile();
      await writeFile(file, encodeParquet(table, rows));
      return file;
    },
  },
  {
    name: 'writeParquetStream', streams: true,
    async write(table, rows, options = {}) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of writeParquetStream(table, batchesOf(rows, options.batchRows ?? 1_000), { rowGroupRows: options.rowGroupRows })) {
        chunks.push(chunk);
      }
      const file = await newFile();
      await writeFile(file, Buffer.concat(chunks));
      return file;
    },
  },
  {
    name: 'putParquetStream', streams: true,
    async write(table, rows, options = {}) {
      const store = new LocalFolderStore(await temps.make());
      const key = `raw/${table.name}/dt=2026-11-22/file-${++filesMade}.parquet`;
      await putParquetStream(store, key, table, batchesOf(rows, options.batchRows ?? 1_000), { rowGroupRows: options.rowGroupRows });
      return path.join(store.root, key);
    },
  },
];
const streamingWriters = writers.filter((w) => w.streams);

// ---------------------------------------------------------------------------------------------
// Normalised values: what went in, and what each reader gives back.

type Normal = string | bigint | number | boolean | null;
type NormalRow = Record<string, Normal>;

function epochMicros(value: CellValue): bigint {
  const millis = value instanceof Date ? value.getTime() : Date.parse(String(value));
  if (!Number.isInteger(millis)) throw new Error(`not a timestamp: ${String(value)}`);
  return BigInt(millis) * 1000n;
}

function normalise(type: ColumnType, value: CellValue | undefined): Normal {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string': return String(value);
    case 'int64': return typeof value === 'bigint' ? value : BigInt(value as number);
    case 'double': return value as number;
    case 'boolean': return value as boolean;
    case 'date': return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    case 'timestamp': return epochMicros(value);
  }
}

function expectedRows(table: TableSchema, rows: readonly Row[]): NormalRow[] {
  return rows.map((row) => Object.fromEntries(table.columns.map((c) => [c.name, normalise(c.type, row[c.name])])));
}

let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
beforeAll(async () => {
  duckdb = await DuckDBInstance.create(':memory:');
  connection = await duckdb.connect();
  // Timestamps (and their statistics) are shown in UTC.
  await connection.run("SET TimeZone = 'UTC'");
});
afterAll(async () => {
  connection?.closeSync();
  duckdb?.closeSync();
  await temps.removeAll();
});

async function query(sql: string): Promise<Record<string, DuckDBValue>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjects();
}

const quoteName = (name: string): string => `"${name}"`;

/** The rows as DuckDB reads them, in the file's order, normalised in SQL. */
async function readWithDuckDb(file: string, table: TableSchema): Promise<NormalRow[]> {
  const select = table.columns.map((c) => {
    const name = quoteName(c.name);
    if (c.type === 'date') return `CAST(${name} AS VARCHAR) AS ${name}`;
    if (c.type === 'timestamp') return `epoch_us(${name}) AS ${name}`;
    return name;
  });
  return await query(
    `SELECT ${select.join(', ')} FROM read_parquet(${quoteString(file)}, file_row_number = true, hive_partitioning = false) ORDER BY file_row_number`,
  ) as NormalRow[];
}

/** The rows as parquet-rs reads them (through Arrow: int64 as bigint, dates and timestamps as epoch millis). */
function readWithParquetRs(bytes: Uint8Array, table: TableSchema): NormalRow[] {
  return decodeParquetRows(bytes).map((row) => Object.fromEntries(table.columns.map((c) => {
    const value = row[c.name] as Normal | undefined;
    if (value === null || value === undefined) return [c.name, null];
    if (c.type === 'date') return [c.name, isoDay((value as number) / dayMillis)];
    if (c.type === 'timestamp') return [c.name, Number.isInteger(value) ? BigInt(value as number) * 1000n : value];
    return [c.name, value];
  })));
}

/** Both readers give back exactly the rows written. */
async function expectRoundTrip(file: string, table: TableSchema, rows: readonly Row[]): Promise<void> {
  const expected = expectedRows(table, rows);
  expect(await readWithDuckDb(file, table), 'as DuckDB reads it').toEqual(expected);
  expect(readWithParquetRs(await readFile(file), table), 'as parquet-rs reads it').toEqual(expected);
}

// ---------------------------------------------------------------------------------------------
// Statistics, in DuckDB's text form (as parquet_metadata shows them with TimeZone UTC):
//   int64      the decimal number                      -9223372036854775808
//   double     shortest round-trip digits; scientific  -0.0  5.0  0.1  1e-05  1e+16  1.7976931348623157e+308
//              below 1e-4 and from 1e16 up, 2-digit exponent at least
//   date       YYYY-MM-DD                              0100-03-01
//   timestamp  YYYY-MM-DD HH:MM:SS[.fraction]+00       1969-07-21 01:17:40.123+00, 2026-01-01 00:00:00+00,
//              trailing zeros of the fraction dropped  2026-06-15 21:30:00.5+00
//   string     the text itself

function duckDoubleText(n: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  const e = Number(exponent);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const decimal = String(n);
  return decimal.includes('.') ? decimal : `${decimal}.0`;
}

function duckTimestampText(micros: bigint): string {
  let seconds = micros / 1_000_000n;
  if (seconds * 1_000_000n > micros) seconds -= 1n;
  const fraction = micros - seconds * 1_000_000n;
  const iso = new Date(Number(seconds) * 1000).toISOString();
  const digits = fraction === 0n ? '' : `.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${digits}+00`;
}

/** Byte-wise (UTF-8) order, the order Parquet gives strings; JavaScript's < compares UTF-16 code units. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The byte-wise least and greatest of some strings. */
function byteRange(values: readonly string[]): [string, string] {
  let [min, max] = [values[0]!, values[0]!];
  let [minBytes, maxBytes] = [Buffer.from(min, 'utf8'), Buffer.from(max, 'utf8')];
  for (const value of values) {
    const bytes = Buffer.from(value, 'utf8');
    if (Buffer.compare(bytes, minBytes) < 0) [min, minBytes] = [value, bytes];
    if (Buffer.compare(bytes, maxBytes) > 0) [max, maxBytes] = [value, bytes];
  }
  return [min, max];
}

/** The min and max statistics a correct writer gives these non-null values, as DuckDB shows them. */
function expectedMinMax(type: ColumnType, values: readonly Normal[]): { min: string | null; max: string | null } {
  if (values.length === 0) return { min: null, max: null };
  switch (type) {
    case 'int64': case 'timestamp': {
      const sorted = (values as bigint[]).toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const text = type === 'int64' ? String : duckTimestampText;
      return { min: text(sorted[0]!), max: text(sorted.at(-1)!) };
    }
    case 'double': {
      const min = Math.min(...(values as number[])), max = Math.max(...(values as number[]));
      // The Parquet spec: a zero min is written as -0.0, a zero max as +0.0, whatever the zeros' signs.
      return { min: min === 0 ? '-0.0' : duckDoubleText(min), max: max === 0 ? '0.0' : duckDoubleText(max) };
    }
    case 'date': {
      // YYYY-MM-DD with 4-digit years sorts as text.
      const sorted = (values as string[]).toSorted();
      return { min: sorted[0]!, max: sorted.at(-1)! };
    }
    case 'string': case 'boolean':
      throw new Error(`no exact statistics are required for ${type}`);
  }
}

interface ChunkFacts {
  readonly rowGroup: number;
  readonly column: string;
  readonly compression: unknown;
  readonly numValues: unknown;
  readonly nullCount: unknown;
  readonly min?: unknown;
  readonly max?: unknown;
}

/**
 * Checks each column chunk of the file against the rows written, row group by row group: ZSTD,
 * num_values = the row group's rows, the null count, and the min and max of int64, double, date and
 * timestamp columns. String statistics, where present, must bound the values in UTF-8 byte order
 * and be the very min and max where the file says they are exact. Returns the row group sizes.
 */
async function expectStatistics(file: string, table: TableSchema, rows: readonly Row[]): Promise<number[]> {
  const chunks = await query(`
    SELECT row_group_id, row_group_num_rows, path_in_schema, compression, num_values, stats_null_count,
           stats_min_value, stats_max_value, min_is_exact, max_is_exact
    FROM parquet_metadata(${quoteString(file)}) ORDER BY row_group_id, column_id`);
  const sizes: number[] = [];
  for (const chunk of chunks) if (Number(chunk.row_group_id) === sizes.length) sizes.push(Number(chunk.row_group_num_rows));
  expect(sizes.reduce((a, b) => a + b, 0), 'rows in all row groups').toBe(rows.length);

  const actual: ChunkFacts[] = [];
  const expected: ChunkFacts[] = [];
  let start = 0;
  for (const [group, size] of sizes.entries()) {
    const groupRows = rows.slice(start, start + size);
    start += size;
    const groupChunks = chunks.filter((c) => Number(c.row_group_id) === group);
    expect(groupChunks.map((c) => c.path_in_schema), `columns of row group ${group}`).toEqual(table.columns.map((c) => c.name));
    for (const [i, c] of table.columns.entries()) {
      const chunk = groupChunks[i]!;
      const values = groupRows.map((row) => normalise(c.type, row[c.name]));
      const present = values.filter((v) => v !== null);
      const exactStats = c.type !== 'string' && c.type !== 'boolean';
      actual.push({
        rowGroup: group, column: c.name, compression: chunk.compression, numValues: chunk.num_values, nullCount: chunk.stats_null_count,
        ...(exactStats ? { min: chunk.stats_min_value, max: chunk.stats_max_value } : {}),
      });
      expected.push({
        rowGroup: group, column: c.name, compression: 'ZSTD', numValues: BigInt(size), nullCount: BigInt(values.length - present.length),
        ...(exactStats ? expectedMinMax(c.type, present) : {}),
      });
      if (c.type === 'string') expectStringBounds(chunk, present as string[], `${c.name} in row group ${group}`);
    }
  }
  expect(actual).toEqual(expected);
  return sizes;
}

function expectStringBounds(chunk: Record<string, DuckDBValue>, values: readonly string[], where: string): void {
  const min = chunk.stats_min_value as string | null, max = chunk.stats_max_value as string | null;
  if (values.length === 0) {
    expect({ min, max }, `statistics of ${where}, which has no values`).toEqual({ min: null, max: null });
    return;
  }
  const [trueMin, trueMax] = byteRange(values);
  if (min !== null) {
    expect(compareBytes(min, trueMin) <= 0, `min ${JSON.stringify(min.slice(0, 80))} of ${where} is above a value`).toBe(true);
    if (chunk.min_is_exact === true) expect(min, `exact min of ${where}`).toBe(trueMin);
  }
  if (max !== null) {
    expect(compareBytes(max, trueMax) >= 0, `max ${JSON.stringify(max.slice(0, 80))} of ${where} is below a value`).toBe(true);
    if (chunk.max_is_exact === true) expect(max, `exact max of ${where}`).toBe(trueMax);
  }
}

/** Row group sizes a streaming writer must cut `count` rows into. */
function groupSizes(count: number, rowGroupRows: number): number[] {
  return Array.from({ length: Math.ceil(count / rowGroupRows) }, (_, i) => Math.min(rowGroupRows, count - i * rowGroupRows));
}

// ---------------------------------------------------------------------------------------------

/** A value for a nullable column's cell, where a test wants none of its own nulls. */
function fallback(name: string): CellValue {
  const type = columnTypes.find((t) => name === t)!;
  return edgeValues[type].find((v) => v !== null)!;
}

describe.each(writers)('a file written by $name', (writer) => {
  it('gives back every edge value of every type, nullable and required, through DuckDB and parquet-rs', async () => {
    // Prepare: 37 rows of edge values; the streaming writers cut them into row groups of 10 from batches of 3
    const rows = edgeRows();
    // Act
    const file = await writer.write(withNullColumns, rows, { rowGroupRows: 10, batchRows: 3 });
    // Assess
    await expectRoundTrip(file, withNullColumns, rows);
  });

  it("has ZSTD column chunks whose statistics are each row group's min, max and null count", async () => {
    // Prepare: the edge values again, in row groups of 10 for the streaming writers
    const rows = edgeRows();
    // Act
    const file = await writer.write(withNullColumns, rows, { rowGroupRows: 10, batchRows: 3 });
    // Assess
    const sizes = await expectStatistics(file, withNullColumns, rows);
    if (writer.streams) expect(sizes).toEqual([10, 10, 10, 7]);
  });

  it('orders string statistics by UTF-8 bytes, not by UTF-16 code units', async () => {
    // Prepare: U+FB00 'ﬀ' is above '😀' (a surrogate pair, 0xD83D…) in UTF-16 and below it in UTF-8 (EF… < F0…)
    const table: TableSchema = { ...everyType, columns: [column('name', 'string'), column('other', 'string', false)] };
    // In UTF-16 order the min of `other` would be U+10000 (0xD800 0xDC00) and its max U+FFFF; in UTF-8 they are 'ﬀ' and '😀'.
    const rows: Row[] = [
      { name: 'ﬀ', other: '😀' }, { name: '😀', other: 'ﬀ' }, { name: 'a', other: '\u{FFFF}' }, { name: null, other: '\u{10000}' },
    ];
    // Act
    const file = await writer.write(table, rows);
    // Assess
    await expectStatistics(file, table, rows);
    const stats = await query(`SELECT path_in_schema, stats_min_value, stats_max_value FROM parquet_metadata(${quoteString(file)})`);
    for (const s of stats) {
      const [min, max] = s.path_in_schema === 'name' ? ['a', '😀'] : ['ﬀ', '😀'];
      if (s.stats_min_value !== null) expect(s.stats_min_value, `min of ${String(s.path_in_schema)}`).toBe(min);
      if (s.stats_max_value !== null) expect(s.stats_max_value, `max of ${String(s.path_in_schema)}`).toBe(max);
    }
    await expectRoundTrip(file, table, rows);
  });

  it('gives back 50,000 distinct strings in one row group, beside a low-cardinality column', async () => {
    // Prepare: about 2 MB of distinct text, more than a dictionary page holds, and four values repeated
    const table: TableSchema = {
      ...everyType, columns: [column('id', 'int64', false), column('distinct', 'string', false), column('channel', 'string')],
    };
    const channels = ['Organic Search', '봄_세일', null, 'Paid Social 😀'];
    const rows: Row[] = Array.from({ length: 50_000 }, (_, i) => ({
      id: i, distinct: `${i.toString(36)} 캠페인 ${'😀'.repeat(i % 4)} ${'x'.repeat(i % 17)} ${i}`, channel: channels[(i * i) % 7 % 4]!,
    }));
    // Act
    const file = await writer.write(table, rows, { rowGroupRows: 50_000, batchRows: 7_000 });
    // Assess
    await expectRoundTrip(file, table, rows);
    const sizes = await expectStatistics(file, table, rows);
    if (writer.streams) expect(sizes).toEqual([50_000]);
  });

  it('gives back a row group of 5,000 rows whose only nulls are among its first rows', async () => {
    // Prepare: nulls in rows 3 and 1,500 of every nullable column, values everywhere else
    const rows = sampleRows(5_000, 11).map((row, i) => (i === 3 || i === 1_500
      ? Object.fromEntries(Object.entries(row).map(([name, value]) => [name, name.endsWith('_req') ? value : null]))
      : Object.fromEntries(Object.entries(row).map(([name, value]) => [name, value ?? fallback(name)]))));
    // Act
    const file = await writer.write(everyType, rows, { rowGroupRows: 5_000, batchRows: 700 });
    // Assess
    await expectRoundTrip(file, everyType, rows);
    await expectStatistics(file, everyType, rows);
  });

  it('gives DuckDB and parquet-rs the six types, with the Parquet types and repetition Athena reads', async () => {
    // Prepare
    const rows = sampleRows(5, 1);
    // Act
    const file = await writer.write(everyType, rows);
    // Assess
    const scan = `read_parquet(${quoteString(file)}, hive_partitioning = false)`;
    const described = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${scan})`);
    const duckTypes: Record<ColumnType, string> = {
      string: 'VARCHAR', int64: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP WITH TIME ZONE',
    };
    expect(described).toEqual(everyType.columns.map((c) => ({ column_name: c.name, column_type: duckTypes[c.type] })));

    const schema = await query(`
      SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema(${quoteString(file)})
      WHERE type IS NOT NULL ORDER BY column_id`);
    const timestampType = 'TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds(), NANOS=<null>))';
    const parquetTypes: Record<ColumnType, Record<string, DuckDBValue>> = {
      string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: 'StringType()' },
      int64: { type: 'INT64' },
      double: { type: 'DOUBLE' },
      boolean: { type: 'BOOLEAN' },
      date: { type: 'INT32', converted_type: 'DATE', logical_type: 'DateType()' },
      timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MICROS', logical_type: timestampType },
    };
    expect(schema).toEqual(everyType.columns.map((c) => expect.objectContaining({
      name: c.name, repetition_type: c.nullable === false ? 'REQUIRED' : 'OPTIONAL', ...parquetTypes[c.type],
    })));

    const arrow = tableFromIPC(readParquet(await readFile(file)).intoIPCStream());
    expect(arrow.schema.fields.map(describeArrowField)).toEqual(everyType.columns.map((c) => `${c.name} ${c.type} ${c.nullable !== false}`));
  });

  it.each([
    ['2^63 as a bigint', 2n ** 63n], ['below -2^63 as a bigint', -(2n ** 64n) - 5n], ['2^63 as a number', 2 ** 63], ['a fraction', 1.5],
  ])('refuses an int64 of %s with a LakeError naming the column and row', async (_name, value) => {
    // Prepare: row 2 holds a value no int64 can
    const rows = edgeRows().slice(0, 3);
    rows[2] = { ...rows[2]!, int64: value };
    // Act
    const act = writer.write(withNullColumns, rows, { rowGroupRows: 10, batchRows: 3 });
    // Assess
    await expect(act).rejects.toThrow(LakeError);
    await expect(writer.write(withNullColumns, rows, { rowGroupRows: 10, batchRows: 3 })).rejects.toThrow(/column conformance\.int64 \(int64\) cannot hold .* \(row 2\)/);
  });

  it('writes a file with no rows that both readers read as 0 rows of the schema', async () => {
    // Prepare: no rows at all
    // Act
    const file = await writer.write(withNullColumns, []);
    // Assess
    const scan = `read_parquet(${quoteString(file)}, hive_partitioning = false)`;
    expect(await query(`SELECT count(*) AS rows FROM ${scan}`)).toEqual([{ rows: 0n }]);
    expect((await query(`DESCRIBE SELECT * FROM ${scan}`)).map((r) => r.column_name)).toEqual(withNullColumns.columns.map((c) => c.name));
    const arrow = tableFromIPC(readParquet(await readFile(file)).intoIPCStream());
    expect(arrow.numRows).toBe(0);
    expect(arrow.schema.fields.map(describeArrowField)).toEqual(withNullColumns.columns.map((c) => `${c.name} ${c.type} ${c.nullable !== false}`));
    await expectRoundTrip(file, withNullColumns, []);
  });
});

/** A column as parquet-rs (through Arrow) sees it: `<name> <lake type> <nullable>`. */
function describeArrowField(field: Field): string {
  const type = field.type;
  const lakeType = DataType.isUtf8(type) ? 'string'
    : DataType.isInt(type) && type.bitWidth === 64 && type.isSigned ? 'int64'
    : DataType.isFloat(type) && type.precision === 2 ? 'double'
    : DataType.isBool(type) ? 'boolean'
    : DataType.isDate(type) && type.unit === 0 ? 'date'
    // UTC: 'UTC' when the file carries an Arrow schema, '+00:00' as parquet-rs reads isAdjustedToUTC without one.
    : DataType.isTimestamp(type) && type.unit === TimeUnit.MICROSECOND && (type.timezone === 'UTC' || type.timezone === '+00:00') ? 'timestamp'
    : `unexpected ${String(type)}`;
  return `${field.name} ${lakeType} ${field.nullable}`;
}

describe.each(streamingWriters)('the row groups of $name', (writer) => {
  it.each([
    { count: 2_345, batchRows: 700, rowGroupRows: 1_000 },
    { count: 2_345, batchRows: 1, rowGroupRows: 1_000 },
    { count: 1_000, batchRows: 1_500, rowGroupRows: 333 },
    { count: 61, batchRows: 7, rowGroupRows: 1 },
  ])('are exactly $rowGroupRows rows (the last shorter) from batches of $batchRows, with the rows in order', async ({ count, batchRows, rowGroupRows }) => {
    // Prepare
    const rows = sampleRows(count, count + batchRows);
    // Act
    const file = await writer.write(everyType, rows, { rowGroupRows, batchRows });
    // Assess
    expect(await expectStatistics(file, everyType, rows)).toEqual(groupSizes(count, rowGroupRows));
    await expectRoundTrip(file, everyType, rows);
  });

  it('gives back 25,000 rows in 25 row groups in order', async () => {
    // Prepare
    const rows = sampleRows(25_000, 25);
    // Act
    const file = await writer.write(everyType, rows, { rowGroupRows: 1_000, batchRows: 700 });
    // Assess
    expect(await expectStatistics(file, everyType, rows)).toEqual(groupSizes(25_000, 1_000));
    await expectRoundTrip(file, everyType, rows);
  });
});

// ---------------------------------------------------------------------------------------------

/** Every type, nullable, for the property test. */
const propertyTable: TableSchema = { ...everyType, columns: columnTypes.map((type) => column(type, type)) };

const firstDay = Date.UTC(100, 0, 2) / dayMillis; // 0100-01-02: a day inside years 0100–9999 in every time zone
const lastDay = Date.UTC(9999, 11, 30) / dayMillis;

/** A timestamp of ms precision, given as a Date, as UTC ISO text, or as ISO text in an offset from -14:00 to +14:00. */
const timestampArbitrary = fc.tuple(
  fc.integer({ min: firstDay * dayMillis, max: lastDay * dayMillis + dayMillis - 1 }),
  fc.constantFrom('date', 'utc', 'offset'),
  fc.integer({ min: -14 * 60, max: 14 * 60 }),
).map(([millis, form, offsetMinutes]): CellValue => {
  if (form === 'date') return new Date(millis);
  if (form === 'utc') return new Date(millis).toISOString();
  const local = new Date(millis + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  return `${local}${sign}${hours}:${String(Math.abs(offsetMinutes) % 60).padStart(2, '0')}`;
});

const nullable = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null, freq: 5 });
const rowArbitrary: fc.Arbitrary<Row> = fc.record({
  string: nullable(fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom(...shortStrings))),
  int64: nullable(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.maxSafeInteger(), fc.constantFrom(...edgeInts.slice(1)))),
  double: nullable(fc.double({ noNaN: true, noDefaultInfinity: true })),
  boolean: nullable(fc.boolean()),
  date: nullable(fc.integer({ min: firstDay, max: lastDay }).map(isoDay)),
  timestamp: nullable(timestampArbitrary),
});

describe('any rows, row groups and batches', () => {
  it('read back through DuckDB and parquet-rs exactly as written, with true statistics', async () => {
    await fc.assert(
      fc.asyncProperty(
        // size 'large': up to 400 rows, most runs over 100 (the default size stays under 10, one row group)
        fc.array(rowArbitrary, { maxLength: 400, size: 'large' }),
        fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 300 })),
        fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 500 })),
        fc.constantFrom(...writers),
        async (rows, rowGroupRows, batchRows, writer) => {
          // Prepare: the generated rows
          // Act
          const file = await writer.write(propertyTable, rows, { rowGroupRows, batchRows });
          // Assess
          await expectRoundTrip(file, propertyTable, rows);
          const sizes = await expectStatistics(file, propertyTable, rows);
          if (writer.streams) expect(sizes).toEqual(groupSizes(rows.length, rowGroupRows));
        },
      ),
      { numRuns: 50 },
    );
  });
});
