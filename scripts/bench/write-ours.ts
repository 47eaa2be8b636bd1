/**
 * Child process of the benchmark: API pages → parse → the connectors' real boundary schemas and
 * mappers → the streaming Parquet writer → one file in a LocalFolderStore. Prints one JSON line:
 * rows, seconds (reading through the committed file), input and output bytes. The bench runs it
 * bundled by esbuild, as an ingest Lambda runs its code (see bench.ts).
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
import { mapRecordSlices } from '../../core/sync/rejects.ts';
import type { Row } from '../../core/table/schema.ts';
import { readLines, type Shape } from './pages.ts';

const [shape, outDir, ...files] = process.argv.slice(2) as [Shape, string, ...string[]];
const syncedAt = new Date('2026-11-23T00:00:00.000Z');

/**
 * What GA4's connector does with each runReport page (connectors/ga4/read-report.ts): the boundary
 * schema, then each row checked and mapped by the stream's mapper, handed on in slices as the
 * connector yields them.
 */
function* ga4PageRows(body: Buffer): Generator<Row[]> {
  const { value, items } = parseWithLazyArray(body, 'rows');
  const page = { ...RunReportResponse.parse(value), rows: items };
  const context: ReportContext = {
    sourceId: 'web', propertyId: '123456789', syncedAt,
    currency: page.metadata?.currencyCode ?? null, timeZone: page.metadata?.timeZone ?? null,
  };
  const headers = headersOf(page);
  yield* checkedSlices(mapRecordSlices(page.rows, (raw) => toTrafficRow(toReportRecord(raw, headers), context)));
  // As the client does when the next page is asked for (connectors/ga4/client.ts).
  items.release();
}

/** What the Google Ads connector does with each searchStream body (connectors/google-ads/read-report.ts). */
function* adsPageRows(body: Buffer): Generator<Row[]> {
  // As the client reads a searchStream body (an array of batches; here one batch a line): the
  // envelopes checked by SearchStreamResponse, each batch's rows parsed and checked as they are mapped.
  const elements = splitSearchStream(body);
  SearchStreamResponse.parse(elements.map((e) => e.value));
  const context = { sourceId: 'google_ads', customerId: '1234567890', syncedAt };
  yield* checkedSlices(mapRecordSlices(elements[0]!.results, (raw) => toCampaignDailyRow(raw, context)));
  // As the client does once every batch of the response is handed out (connectors/google-ads/client.ts).
  elements[0]!.results.release();
}

/** The bench's pages hold no odd values: a reject means the bench measures something else than a clean read. */
function* checkedSlices(slices: Iterable<{ rows: Row[]; rejected: readonly { reason: string }[] }>): Generator<Row[]> {
  for (const { rows, rejected } of slices) {
    if (rejected.length > 0) throw new Error(`${rejected.length} rows rejected: ${rejected[0]!.reason}`);
    yield rows;
  }
}

async function* pageRows(files: readonly string[], toRows: (body: Buffer) => Iterable<Row[]>): AsyncGenerator<Row[]> {
  for await (const body of readLines(files)) yield* toRows(body);
}

const started = process.hrtime.bigint();
const table = shape === 'ga4' ? ga4TrafficDaily.table : adsGoogleCampaignDaily.table;
const store = new LocalFolderStore(outDir);
const written = await putParquetStream(store, `${shape}.parquet`, table, pageRows(files, shape === 'ga4' ? ga4PageRows : adsPageRows));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
let inputBytes = 0;
for (const file of files) inputBytes += (await stat(file)).size;
console.log(JSON.stringify({ rows: written.rows, seconds, inputBytes, outputBytes: written.bytes, maxRssKb: process.resourceUsage().maxRSS }));
