/**
 * Child process of the benchmark: API pages → parse → the connectors' real boundary schemas and
 * mappers → the streaming Parquet writer → one file in a LocalFolderStore. Prints one JSON line:
 * rows, seconds (reading through the committed file), input and output bytes.
 *
 *   node scripts/bench/write-ours.ts <ga4|ads> <out-dir> <pages.ndjson>…
 */
import { stat } from 'node:fs/promises';
import { toTrafficRow, type ReportContext } from '../../connectors/ga4/mappers.ts';
import { headersOf, RunReportResponse, toReportRecord } from '../../connectors/ga4/report.ts';
import { ga4TrafficDaily } from '../../connectors/ga4/streams.ts';
import { toCampaignDailyRow } from '../../connectors/google-ads/mappers.ts';
import { SearchStreamResponse, splitSearchStream } from '../../connectors/google-ads/report.ts';
import { adsGoogleCampaignDaily } from '../../connectors/google-ads/streams.ts';
import { parseWithLazyArray } from '../../core/json/json-items.ts';
import { putParquetStream } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { mapRecords } from '../../core/sync/rejects.ts';
import type { Row } from '../../core/table/schema.ts';
import { readLines, type Shape } from './pages.ts';

const [shape, outDir, ...files] = process.argv.slice(2) as [Shape, string, ...string[]];
const syncedAt = new Date('2026-11-23T00:00:00.000Z');

/**
 * What GA4's connector does with each runReport page (connectors/ga4/read-report.ts): the boundary
 * schema, each row checked and mapped by the stream's mapper. Each step is in its own function so that only the
 * mapped rows outlive it: the body text, the parsed page and its schema-checked copy are garbage
 * by the time the rows are yielded to the writer.
 */
function ga4PageRows(body: Buffer): Row[] {
  const { value, items } = parseWithLazyArray(body, 'rows');
  const page = { ...RunReportResponse.parse(value), rows: items };
  const context: ReportContext = {
    sourceId: 'web', propertyId: '123456789', syncedAt,
    currency: page.metadata?.currencyCode ?? null, timeZone: page.metadata?.timeZone ?? null,
  };
  const headers = headersOf(page);
  const { rows, rejected } = mapRecords(page.rows, (raw) => toTrafficRow(toReportRecord(raw, headers), context));
  if (rejected.length > 0) throw new Error(`${rejected.length} rows rejected: ${rejected[0]!.reason}`);
  return rows;
}

/** What the Google Ads connector does with each searchStream batch (connectors/google-ads/read-report.ts). */
function adsPageRows(body: Buffer): Row[] {
  // As the client reads a searchStream body (an array of batches; here one batch a line): the
  // envelopes checked by SearchStreamResponse, each batch's rows parsed and checked as they are mapped.
  const elements = splitSearchStream(body);
  SearchStreamResponse.parse(elements.map((e) => e.value));
  const context = { sourceId: 'google_ads', customerId: '1234567890', syncedAt };
  const { rows, rejected } = mapRecords(elements[0]!.results, (raw) => toCampaignDailyRow(raw, context));
  if (rejected.length > 0) throw new Error(`${rejected.length} rows rejected: ${rejected[0]!.reason}`);
  return rows;
}

async function* pageRows(files: readonly string[], toRows: (body: Buffer) => Row[]): AsyncGenerator<Row[]> {
  const lines = readLines(files);
  for (;;) {
    // Not `for await (const line of …)`: its variable would keep the page's text alive while the writer runs.
    const rows = await lines.next().then((next) => (next.done ? undefined : toRows(next.value)));
    if (!rows) return;
    yield rows;
  }
}

const started = process.hrtime.bigint();
const table = shape === 'ga4' ? ga4TrafficDaily.table : adsGoogleCampaignDaily.table;
const store = new LocalFolderStore(outDir);
const written = await putParquetStream(store, `${shape}.parquet`, table, pageRows(files, shape === 'ga4' ? ga4PageRows : adsPageRows));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
let inputBytes = 0;
for (const file of files) inputBytes += (await stat(file)).size;
console.log(JSON.stringify({ rows: written.rows, seconds, inputBytes, outputBytes: written.bytes, maxRssKb: process.resourceUsage().maxRSS }));
