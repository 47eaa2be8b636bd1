import { ParquetFile } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { LakeError } from '../../core/errors.ts';
import { encodeParquet } from '../../core/lake/parquet.ts';
import { writeParquetStream, type ParquetStreamOptions } from '../../core/lake/parquet-stream.ts';
import type { Row, TableSchema } from '../../core/table/schema.ts';
import { decodeParquetRows } from '../support/parquet-rows.ts';

/** One column of every type the lake writes, nullable and not. */
const table: TableSchema = {
  name: 'stream_test',
  description: 'every column type',
  location: 'raw/stream_test',
  columns: [
    { name: 'date', type: 'date', nullable: false, description: 'd' },
    { name: 'name', type: 'string', nullable: false, description: 'n' },
    { name: 'note', type: 'string', description: 'n' },
    { name: 'count', type: 'int64', nullable: false, description: 'c' },
    { name: 'big', type: 'int64', description: 'b' },
    { name: 'amount', type: 'double', description: 'a' },
    { name: 'flag', type: 'boolean', description: 'f' },
    { name: 'synced_at', type: 'timestamp', nullable: false, description: 's' },
  ],
};
const syncedAt = new Date('2026-11-23T01:02:03.456Z');
const names = ['봄_세일', 'brand_search', 'brand_search', '(not set)', '😀 emoji', ''];

function rowsFrom(start: number, count: number): Row[] {
  return Array.from({ length: count }, (_, k) => {
    const i = start + k;
    return {
      date: `2026-0${1 + (i % 9)}-1${i % 10}`, name: names[i % names.length]!, note: i % 4 === 0 ? null : `note ${i}`,
      count: i % 3 === 0 ? -i * 4_294_967_296 : i, big: i % 5 === 0 ? null : BigInt(i) * 1_000_000_000_000n,
      amount: i % 7 === 0 ? null : i / 8, flag: i % 6 === 0 ? null : i % 2 === 0, synced_at: i % 2 === 0 ? syncedAt : '2026-11-23T00:00:00.000Z',
    };
  });
}

async function collect(stream: AsyncGenerator<Uint8Array, { rows: number; bytes: number }, undefined>) {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) {
      const file = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let at = 0;
      for (const chunk of chunks) {
        file.set(chunk, at);
        at += chunk.byteLength;
      }
      return { file, chunks: chunks.length, result: next.value };
    }
    chunks.push(next.value);
  }
}

async function rowGroupSizes(file: Uint8Array): Promise<number[]> {
  const parquet = await ParquetFile.fromFile(new Blob([file]));
  return parquet.metadata().rowGroups().map((group) => group.numRows());
}

async function* batchesOf(rows: readonly Row[], size: number): AsyncGenerator<Row[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

const stream = (batches: AsyncIterable<readonly Row[]> | Iterable<readonly Row[]>, options?: ParquetStreamOptions) =>
  writeParquetStream(table, batches, options);

describe('writeParquetStream', () => {
  it('writes the same rows and types as encodeParquet, one row group per rowGroupRows', async () => {
    // Prepare
    const rows = rowsFrom(0, 2_500);
    // Act
    const { file, result } = await collect(stream(batchesOf(rows, 1_000), { rowGroupRows: 1_000 }));
    // Assess
    expect(result).toEqual({ rows: 2_500, bytes: file.byteLength });
    expect(decodeParquetRows(file)).toEqual(decodeParquetRows(encodeParquet(table, rows)));
    expect(await rowGroupSizes(file)).toEqual([1_000, 1_000, 500]);
  });

  it('gathers small batches into full row groups and cuts big ones without changing the order', async () => {
    // Prepare: batches of 7, 1,500 and 3 rows
    const rows = rowsFrom(0, 1_510);
    const batches = [rows.slice(0, 7), [], rows.slice(7, 1_507), rows.slice(1_507)];
    // Act
    const { file } = await collect(stream(batches, { rowGroupRows: 600 }));
    // Assess
    expect(await rowGroupSizes(file)).toEqual([600, 600, 310]);
    expect(decodeParquetRows(file)).toEqual(decodeParquetRows(encodeParquet(table, rows)));
  });

  it('writes a file with the schema and no rows when there are no rows', async () => {
    // Prepare: nothing to write
    // Act
    const { file, result } = await collect(stream([[], []]));
    // Assess
    expect(result.rows).toBe(0);
    expect(decodeParquetRows(file)).toEqual([]);
  });

  it('passes an error of the batches through unchanged, after which nothing may be committed', async () => {
    // Prepare: a source that fails after its first batch
    const failure = new Error('quota used up');
    async function* failing(): AsyncGenerator<Row[]> {
      yield rowsFrom(0, 10);
      throw failure;
    }
    // Act
    const act = collect(stream(failing(), { rowGroupRows: 5 }));
    // Assess
    await expect(act).rejects.toBe(failure);
  });

  it('rejects a row the table cannot hold with a LakeError that names the row', async () => {
    // Prepare: row 12 (the third of the second batch) has no name, a required column; the error counts rows from the file's start
    const rows = rowsFrom(0, 20);
    rows[12] = { ...rows[12]!, name: null };
    // Act
    const act = collect(stream(batchesOf(rows, 10), { rowGroupRows: 10 }));
    // Assess
    await expect(act).rejects.toThrow(LakeError);
    await expect(collect(stream(batchesOf(rows, 10), { rowGroupRows: 10 }))).rejects.toThrow('column stream_test.name is not nullable but row 12 has no value');
  });

  it('closes the source when the reader stops early', async () => {
    // Prepare
    let closed = false;
    async function* endless(): AsyncGenerator<Row[]> {
      try {
        for (let i = 0; ; i += 100) yield rowsFrom(i, 100);
      } finally {
        closed = true;
      }
    }
    // Act: take the first chunk, then stop
    const file = stream(endless(), { rowGroupRows: 100 });
    await file.next();
    await file.return({ rows: 0, bytes: 0 });
    // Assess
    expect(closed).toBe(true);
  });

  it('rejects a row group size that is not a positive integer', async () => {
    // Prepare: nothing
    // Act
    const act = collect(stream([rowsFrom(0, 1)], { rowGroupRows: 0 }));
    // Assess
    await expect(act).rejects.toThrow('rowGroupRows must be a positive integer, not 0');
  });
});
