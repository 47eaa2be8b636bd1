/**
 * Child process of the benchmark, for "query cost grows with the question, not the history".
 *
 *   node scripts/bench/query-cost.ts build <lake> <from> <to>      GA4 sandbox seed → real mappers → writePartition, one file per table and day
 *   node scripts/bench/query-cost.ts link <lake> <into> <from>     the partitions of <lake> from <from> on, hard-linked into a new lake
 *   node scripts/bench/query-cost.ts snapshot <lake> <from> <asOf> [historyDays]
 *                                                                  the daily snapshot (computeSnapshot, DuckDB) over the lake; prints JSON
 *
 * Bytes read are the sizes of the Parquet files in the partitions each query's `dt` window names,
 * checked against the number of files DuckDB reports reading (EXPLAIN ANALYZE, "Total Files Read").
 */
import { link, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { toEventRow, toTrafficRow, type ReportContext } from '../../connectors/ga4/mappers.ts';
import type { ReportRecord } from '../../connectors/ga4/report.ts';
import { eventFactsFor, trafficFactsFor, type SeedOptions } from '../../connectors/ga4/sandbox/seed-data.ts';
import { ga4EventsDaily, ga4TrafficDaily } from '../../connectors/ga4/streams.ts';
import { KpiSettings, SnapshotSettings } from '../../core/config/schema.ts';
import { eachDay } from '../../core/dates.ts';
import { kpiCatalog } from '../../core/kpi/catalog.ts';
import { computeSnapshot } from '../../core/kpi/snapshot.ts';
import { kpiSnapshotsTable } from '../../core/kpi/snapshot-table.ts';
import { writePartition } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { silentLogger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { QueryEngine } from '../../core/query/query-engine.ts';

const [command, lake, ...args] = process.argv.slice(2) as [string, string, ...string[]];
const tables = [ga4TrafficDaily.table, ga4EventsDaily.table];
const timeZone = 'Asia/Seoul';

/** A seed fact as GA4's runReport sends it (YYYYMMDD dates, every metric a string), keyed by API name. */
function compact(date: string): string {
  return date.replaceAll('-', '');
}

async function build(from: string, to: string): Promise<void> {
  const store = new LocalFolderStore(lake);
  const seed: SeedOptions = { seed: 42, anchorDate: to };
  const context: ReportContext = { sourceId: 'web', propertyId: '123456789', currency: 'KRW', timeZone, syncedAt: new Date(`${to}T18:00:00Z`) };
  for (const day of eachDay(from, to)) {
    const traffic = trafficFactsFor(day, seed).map((f): ReportRecord => ({
      date: compact(f.date), sessionDefaultChannelGroup: f.channelGroup, sessionSource: f.source, sessionMedium: f.medium,
      sessionCampaignName: f.campaign, sessions: String(f.sessions), engagedSessions: String(f.engagedSessions),
      totalUsers: String(f.totalUsers), newUsers: String(f.newUsers), userEngagementDuration: String(f.userEngagementDuration),
      keyEvents: String(f.keyEvents), purchaseRevenue: String(f.purchaseRevenue), transactions: String(f.transactions),
    }));
    const events = eventFactsFor(day, seed).map((f): ReportRecord => ({
      date: compact(f.date), eventName: f.eventName, eventCount: String(f.eventCount), totalUsers: String(f.totalUsers),
    }));
    await writePartition(store, ga4TrafficDaily.table, day, 'web', traffic.map((r) => toTrafficRow(r, context)));
    await writePartition(store, ga4EventsDaily.table, day, 'web', events.map((r) => toEventRow(r, context)));
  }
}

async function linkLake(into: string, from: string): Promise<void> {
  for (const table of tables) {
    const source = path.join(lake, table.location);
    for (const partition of await readdir(source)) {
      if (partition.slice('dt='.length) < from) continue;
      await mkdir(path.join(into, table.location, partition), { recursive: true });
      for (const file of await readdir(path.join(source, partition))) {
        await link(path.join(source, partition, file), path.join(into, table.location, partition, file));
      }
    }
  }
}

/** Every file of the lake's GA4 tables with its partition date and size. */
async function lakeFiles(): Promise<Array<{ table: string; dt: string; bytes: number }>> {
  const files: Array<{ table: string; dt: string; bytes: number }> = [];
  for (const table of tables) {
    const folder = path.join(lake, table.location);
    for (const partition of await readdir(folder)) {
      for (const file of await readdir(path.join(folder, partition))) {
        if (!file.endsWith('.parquet')) continue;
        files.push({ table: table.name, dt: partition.slice('dt='.length), bytes: (await stat(path.join(folder, partition, file))).size });
      }
    }
  }
  return files;
}

async function snapshot(from: string, asOf: string, historyDays: number): Promise<void> {
  const files = await lakeFiles();
  const engine = await DuckDbEngine.open({ lakeRoot: lake, tables: [...tables, kpiSnapshotsTable], views: [] });
  const queries: string[] = [];
  const recording: QueryEngine = {
    query: (sql, params) => {
      queries.push(sql);
      return engine.query(sql, params);
    },
  } as QueryEngine;
  const coverage = new Map(tables.map((t) => [t.name, { from, to: asOf }]));
  const started = process.hrtime.bigint();
  const result = await computeSnapshot({
    engine: recording, store: new LocalFolderStore(lake), kpis: kpiCatalog.filter((k) => k.table.startsWith('ga4_')),
    coverage, asOf, historyDays,
    context: { ...KpiSettings.parse({}), timezone: timeZone }, log: silentLogger,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  // What each query's partition filter names, and what DuckDB says it read.
  let bytesRead = 0, filesRead = 0, duckdbFilesRead = 0;
  const windows: string[] = [];
  for (const sql of queries) {
    const table = /FROM ([a-z0-9_]+) AS t\b/.exec(sql)?.[1];
    const window = /t\.dt >= '(\d{4}-\d{2}-\d{2})' AND t\.dt <= '(\d{4}-\d{2}-\d{2})'/.exec(sql);
    if (!table || !window) throw new Error(`cannot find the table and dt window of a snapshot query:\n${sql}`);
    const touched = files.filter((f) => f.table === table && f.dt >= window[1]! && f.dt <= window[2]!);
    bytesRead += touched.reduce((sum, f) => sum + f.bytes, 0);
    filesRead += touched.length;
    windows.push(`${window[1]}…${window[2]}`);
    const plan = (await engine.query(`EXPLAIN ANALYZE ${sql}`)).map((row) => Object.values(row).join('\n')).join('\n');
    for (const match of plan.matchAll(/Total Files Read:\s*(\d+)/g)) duckdbFilesRead += Number(match[1]);
  }
  await engine.close();
  console.log(JSON.stringify({
    seconds, queries: queries.length, rows: result.rows.length, bytesRead, filesRead, duckdbFilesRead,
    lakeBytes: files.reduce((sum, f) => sum + f.bytes, 0), lakeFiles: files.length, windows: [...new Set(windows)],
  }));
}

if (command === 'build') await build(args[0]!, args[1]!);
else if (command === 'link') await linkLake(args[0]!, args[1]!);
else if (command === 'snapshot') await snapshot(args[0]!, args[1]!, args[2] ? Number(args[2]) : SnapshotSettings.parse({}).historyDays);
else throw new Error(`unknown command ${command}`);
