/**
 * Child process of the benchmark: DuckDB's own path for the same pages, the native baseline —
 * `read_json` over the newline-delimited pages → unnest the rows → the same columns and types as
 * the connector's table → `COPY … TO` Parquet with ZSTD. Prints one JSON line like write-ours.ts.
 *
 *   node scripts/bench/write-duckdb.ts <tuned|auto> <ga4|ads> <out-dir> <pages.ndjson>…
 *
 * tuned: the schema is given (`columns`) with `records = true`. Without `records = true` a
 *        `columns` list of one entry (Ads' `results`) sends DuckDB 1.5 down a path about 10× slower.
 * auto:  `read_json` detects the schema itself, as most people first call it.
 * Both run with `maximum_object_size` just above the largest page: at 1 GB each reader thread's
 * buffer made DuckDB several times slower.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { quoteString } from '../../core/query/sql.ts';
import type { Shape } from './pages.ts';

const [mode, shape, outDir, ...files] = process.argv.slice(2) as ['tuned' | 'auto', Shape, string, ...string[]];
const fileList = `[${files.map(quoteString).join(', ')}]`;
const maxObject = 128 << 20;
const syncedAt = "TIMESTAMPTZ '2026-11-23 00:00:00+00'";

const ga4Columns = `{
  rows: 'STRUCT(dimensionValues STRUCT(value VARCHAR)[], metricValues STRUCT(value VARCHAR)[])[]',
  metadata: 'STRUCT(currencyCode VARCHAR, timeZone VARCHAR)'
}`;
// proto3 JSON sends int64 as strings: read as text, cast below (as the auto-detected schema must be too).
const adsColumns = `{
  results: 'STRUCT(
    customer STRUCT(id VARCHAR, descriptiveName VARCHAR, currencyCode VARCHAR, timeZone VARCHAR),
    campaign STRUCT(id VARCHAR, name VARCHAR, status VARCHAR),
    metrics STRUCT(impressions VARCHAR, clicks VARCHAR, costMicros VARCHAR, conversions DOUBLE, conversionsValue DOUBLE),
    segments STRUCT(date VARCHAR)
  )[]'
}`;
const readJson = (columns: string) => mode === 'tuned'
  ? `read_json(${fileList}, format = 'newline_delimited', records = true, maximum_object_size = ${maxObject}, columns = ${columns})`
  : `read_json(${fileList}, format = 'newline_delimited', maximum_object_size = ${maxObject})`;

/** The mapper's rules in SQL: '(not set)' for an empty dimension, metrics rounded where the column is an integer. */
const ga4Sql = `
SELECT
  CAST(strptime(r.dimensionValues[1].value, '%Y%m%d') AS DATE) AS date,
  '123456789' AS property_id,
  COALESCE(NULLIF(r.dimensionValues[2].value, ''), '(not set)') AS channel_group,
  COALESCE(NULLIF(r.dimensionValues[3].value, ''), '(not set)') AS source,
  COALESCE(NULLIF(r.dimensionValues[4].value, ''), '(not set)') AS medium,
  COALESCE(NULLIF(r.dimensionValues[5].value, ''), '(not set)') AS campaign,
  CAST(round(CAST(r.metricValues[1].value AS DOUBLE)) AS BIGINT) AS sessions,
  CAST(round(CAST(r.metricValues[2].value AS DOUBLE)) AS BIGINT) AS engaged_sessions,
  CAST(round(CAST(r.metricValues[3].value AS DOUBLE)) AS BIGINT) AS total_users,
  CAST(round(CAST(r.metricValues[4].value AS DOUBLE)) AS BIGINT) AS new_users,
  CAST(r.metricValues[5].value AS DOUBLE) AS user_engagement_duration_s,
  CAST(r.metricValues[6].value AS DOUBLE) AS key_events,
  CAST(r.metricValues[7].value AS DOUBLE) AS purchase_revenue,
  CAST(round(CAST(r.metricValues[8].value AS DOUBLE)) AS BIGINT) AS transactions,
  currency, time_zone, 'web' AS source_id, ${syncedAt} AS synced_at
FROM (SELECT unnest(rows) AS r, metadata.currencyCode AS currency, metadata.timeZone AS time_zone FROM ${readJson(ga4Columns)})`;

const adsSql = `
SELECT
  CAST(r.segments.date AS DATE) AS date,
  COALESCE(CAST(r.customer.id AS VARCHAR), '1234567890') AS account_id,
  NULLIF(r.customer.descriptiveName, '') AS account_name,
  CAST(r.campaign.id AS VARCHAR) AS campaign_id,
  NULLIF(r.campaign.name, '') AS campaign_name,
  NULLIF(r.campaign.status, '') AS campaign_status,
  COALESCE(CAST(r.metrics.impressions AS BIGINT), 0) AS impressions,
  COALESCE(CAST(r.metrics.clicks AS BIGINT), 0) AS clicks,
  CAST(COALESCE(CAST(r.metrics.costMicros AS BIGINT), 0) AS DOUBLE) / 1000000 AS spend,
  COALESCE(CAST(r.metrics.conversions AS DOUBLE), 0) AS conversions,
  COALESCE(CAST(r.metrics.conversionsValue AS DOUBLE), 0) AS conversions_value,
  r.customer.currencyCode AS currency,
  r.customer.timeZone AS time_zone,
  'google_ads' AS source_id, ${syncedAt} AS synced_at,
  COALESCE(CAST(r.metrics.costMicros AS BIGINT), 0) AS cost_micros
FROM (SELECT unnest(results) AS r FROM ${readJson(adsColumns)})`;

await mkdir(outDir, { recursive: true });
const target = path.join(outDir, `${shape}-duckdb-${mode}.parquet`);
// As the query engine opens it (core/query/duckdb-engine.ts): both cores of this machine.
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const connection = await instance.connect();
await connection.run("SET TimeZone = 'UTC'");
const started = process.hrtime.bigint();
const copied = await connection.runAndReadAll(`COPY (${shape === 'ga4' ? ga4Sql : adsSql}) TO ${quoteString(target)} (FORMAT parquet, COMPRESSION zstd)`);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const rows = Number(copied.getRows()[0]?.[0] ?? 0);
connection.closeSync();
instance.closeSync();
let inputBytes = 0;
for (const file of files) inputBytes += (await stat(file)).size;
console.log(JSON.stringify({ rows, seconds, inputBytes, outputBytes: (await stat(target)).size, maxRssKb: process.resourceUsage().maxRSS }));
