import { DuckDBInstance } from '@duckdb/node-api';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ga4TrafficDaily } from '../../connectors/ga4/streams.ts';
import { putParquetStream, writePartition, writePartitionStream } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { encodeParquet } from '../../core/lake/parquet.ts';
import { quoteString } from '../../core/query/sql.ts';
import type { Row } from '../../core/table/schema.ts';
import { RecordingStore } from '../support/recording-store.ts';
import { tempDirs } from '../support/temp-dir.ts';

const table = ga4TrafficDaily.table;
const syncedAt = new Date('2026-11-23T01:02:03.000Z');
const groups = ['Organic Search', 'Paid Search', 'Paid Social', 'Direct'];

/** ga4_traffic_daily rows with Korean campaign names, fractional metrics and a null currency now and then. */
function trafficRows(count: number, day = '2026-11-22'): Row[] {
  return Array.from({ length: count }, (_, i) => ({
    date: day, property_id: '123456789', channel_group: groups[i % groups.length]!, source: `source_${i % 13}`,
    medium: i % 2 === 0 ? 'cpc' : 'organic', campaign: i % 5 === 0 ? `봄_세일_${i % 7}` : `campaign_${i}`,
    sessions: i * 3, engaged_sessions: i * 2, total_users: i, new_users: Math.floor(i / 2),
    user_engagement_duration_s: i * 55.5, key_events: i % 9, purchase_revenue: (i % 9) * 58_000.25, transactions: i % 4,
    currency: i % 11 === 0 ? null : 'KRW', time_zone: 'Asia/Seoul', source_id: 'web', synced_at: syncedAt,
  }));
}

async function* batchesOf(rows: readonly Row[], size: number): AsyncGenerator<Row[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** Column names and DuckDB types of a Parquet file, and its rows in a stable order as JSON. */
async function readWithDuckDb(file: string): Promise<{ types: string[]; rows: unknown[] }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    // Only the file's own columns: not the dt= folder DuckDB would read as a column.
    const scan = `read_parquet(${quoteString(file)}, hive_partitioning = false)`;
    const types = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${scan}`)).getRows().map((r) => `${r[0]} ${r[1]}`);
    const rows = (await connection.runAndReadAll(`SELECT * FROM ${scan} ORDER BY sessions`)).getRowObjectsJson();
    return { types, rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Every file under a folder, temp files included (LocalFolderStore.list hides those). */
async function allFiles(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
}

describe('putParquetStream into a LocalFolderStore', () => {
  const temps = tempDirs('kpi-parquet-stream-');
  afterEach(() => temps.removeAll());

  it('writes a file DuckDB reads with the same values and types as encodeParquet', async () => {
    // Prepare: the same rows, streamed in batches of 700 into row groups of 1,000, and encoded whole
    const root = await temps.make();
    const store = new LocalFolderStore(root);
    const rows = trafficRows(2_345);
    await writeFile(path.join(root, 'whole.parquet'), encodeParquet(table, rows));
    // Act
    const written = await putParquetStream(store, 'raw/ga4_traffic_daily/dt=2026-11-22/web.parquet', table, batchesOf(rows, 700), { rowGroupRows: 1_000 });
    // Assess
    const streamed = await readWithDuckDb(path.join(root, 'raw/ga4_traffic_daily/dt=2026-11-22/web.parquet'));
    const whole = await readWithDuckDb(path.join(root, 'whole.parquet'));
    expect(written.rows).toBe(2_345);
    expect(streamed.types).toEqual(whole.types);
    expect(streamed.types).toContain('date DATE');
    expect(streamed.types).toContain('synced_at TIMESTAMP WITH TIME ZONE');
    expect(streamed.rows).toEqual(whole.rows);
    expect(streamed.rows).toHaveLength(2_345);
  });

  it('leaves no file and no temp file, and the old file as it was, when the rows fail midway', async () => {
    // Prepare: an existing file at the key, and a source that fails after two batches
    const root = await temps.make();
    const store = new LocalFolderStore(root);
    const key = 'raw/ga4_traffic_daily/dt=2026-11-22/web.parquet';
    await store.put(key, encodeParquet(table, trafficRows(3)));
    const before = await store.get(key);
    const failure = new Error('GA4 quota used up');
    async function* failing(): AsyncGenerator<Row[]> {
      yield trafficRows(100);
      yield trafficRows(100);
      throw failure;
    }
    // Act
    const act = putParquetStream(store, key, table, failing(), { rowGroupRows: 50 });
    // Assess
    await expect(act).rejects.toBe(failure);
    expect(await allFiles(root)).toEqual([path.join(root, key)]);
    expect(await store.get(key)).toEqual(before);
  });
});

describe('putParquetStream into another store', () => {
  const temps = tempDirs('kpi-parquet-stream-');
  afterEach(() => temps.removeAll());

  it('puts the whole file at once, as the ObjectStore port allows', async () => {
    // Prepare: a store that is not a LocalFolderStore
    const store = new RecordingStore(new LocalFolderStore(await temps.make()));
    const rows = trafficRows(500);
    // Act
    const written = await putParquetStream(store, 'raw/ga4_traffic_daily/dt=2026-11-22/web.parquet', table, batchesOf(rows, 120), { rowGroupRows: 200 });
    // Assess
    expect(store.calls.map((c) => [c.operation, c.keys])).toEqual([['put', ['raw/ga4_traffic_daily/dt=2026-11-22/web.parquet']]]);
    expect((await store.get('raw/ga4_traffic_daily/dt=2026-11-22/web.parquet'))?.byteLength).toBe(written.bytes);
  });
});

describe('writePartitionStream', () => {
  const temps = tempDirs('kpi-parquet-stream-');
  afterEach(() => temps.removeAll());

  it("replaces the source's files in the partition, as writePartition does", async () => {
    // Prepare: an appended file of web from an earlier run, and another source's file
    const store = new LocalFolderStore(await temps.make());
    const prefix = 'raw/ga4_traffic_daily/dt=2026-11-22/';
    await store.put(`${prefix}web-20261122000000-0.parquet`, encodeParquet(table, trafficRows(2)));
    await writePartition(store, table, '2026-11-22', 'web_eu', trafficRows(2));
    // Act
    const written = await writePartitionStream(store, table, '2026-11-22', 'web', batchesOf(trafficRows(300), 100));
    // Assess
    expect(written).toMatchObject({ key: `${prefix}web.parquet`, rows: 300, removed: 1 });
    expect(await store.list(prefix)).toEqual([`${prefix}web.parquet`, `${prefix}web_eu.parquet`]);
  });

  it('clears the partition for the source when there are no rows, writing no empty file', async () => {
    // Prepare
    const store = new LocalFolderStore(await temps.make());
    await writePartition(store, table, '2026-11-22', 'web', trafficRows(2));
    // Act
    const written = await writePartitionStream(store, table, '2026-11-22', 'web', [[], []]);
    // Assess
    expect(written).toEqual({ key: null, rows: 0, bytes: 0, removed: 1 });
    expect(await store.list('raw/ga4_traffic_daily/')).toEqual([]);
  });
});
