import type { DateWindow, ReadContext, StreamEvent } from '../../core/connector.ts';
import { addDays, eachDay, minDate } from '../../core/dates.ts';
import { Ga4QuotaExhaustedError, type Ga4Client } from './client.ts';
import type { Ga4SourceConfig } from './config.ts';
import type { ReportContext } from './mappers.ts';
import { mapRecordSlices } from '../../core/sync/rejects.ts';
import { headersOf, toReportRecord, type RunReportResponse } from './report.ts';
import type { Ga4ReportStream } from './streams.ts';

/**
 * Reads one report stream over the window in chunks of `chunkDays`; after each chunk's pages, a
 * checkpoint tells the writer those partitions are complete. A chunk whose report holds more than
 * `maxRowsPerChunk` rows (the first page's rowCount says so) is split in halves before any of its
 * rows are handed on, since the writer holds a chunk's rows until its checkpoint. Stops cleanly
 * (a `partial` event) when the property quota is nearly or fully used, so the next run resumes
 * from the checkpoint.
 */
export async function* readReport(
  client: Ga4Client, config: Ga4SourceConfig, spec: Ga4ReportStream, context: ReadContext,
): AsyncGenerator<StreamEvent> {
  const pending = [...chunks(context.window, config.chunkDays)].reverse();
  for (let chunk = pending.pop(); chunk; chunk = pending.pop()) {
    const syncedAt = new Date();
    let lastPage: RunReportResponse | undefined;
    try {
      let first = true;
      for await (const page of client.pages({
        dateRanges: [{ startDate: chunk.from, endDate: chunk.to }],
        dimensions: spec.dimensions.map((name) => ({ name })),
        metrics: spec.metrics.map((name) => ({ name })),
        limit: config.pageSize,
        returnPropertyQuota: true,
        keepEmptyRows: false,
      }, spec.table.name)) {
        lastPage = page;
        if (first && (page.rowCount ?? 0) > config.maxRowsPerChunk && chunk.from < chunk.to) {
          const [earlier, later] = halves(chunk);
          pending.push(later, earlier);
          context.log.info(`${chunk.from} … ${chunk.to} holds ${page.rowCount!.toLocaleString('en-US')} rows (more than maxRowsPerChunk ${config.maxRowsPerChunk.toLocaleString('en-US')}): reading it in two halves`);
          chunk = undefined;
          break;
        }
        first = false;
        const reportContext: ReportContext = {
          sourceId: config.id, propertyId: config.propertyId, syncedAt,
          currency: page.metadata?.currencyCode ?? null, timeZone: page.metadata?.timeZone ?? null,
        };
        const headers = headersOf(page);
        for (const { rows, rejected } of mapRecordSlices(page.rows, (raw) => spec.toRow(toReportRecord(raw, headers), reportContext))) {
          yield { kind: 'rows', rows, ...(rejected.length > 0 ? { rejected } : {}) };
        }
        context.signal?.throwIfAborted();
      }
    } catch (error) {
      if (error instanceof Ga4QuotaExhaustedError) {
        yield { kind: 'partial', reason: error.message };
        return;
      }
      throw error;
    }
    if (!chunk) continue;
    yield { kind: 'checkpoint', through: chunk.to, covers: chunk };
    const low = quotaLow(lastPage, config.quotaReserveTokens);
    if (low && chunk.to < context.window.to) {
      yield { kind: 'partial', reason: low };
      return;
    }
  }
}

function halves(window: DateWindow): [DateWindow, DateWindow] {
  const days = [...eachDay(window.from, window.to)];
  const middle = days[Math.ceil(days.length / 2) - 1]!;
  return [{ from: window.from, to: middle }, { from: addDays(middle, 1), to: window.to }];
}

function* chunks(window: DateWindow, days: number): Generator<DateWindow> {
  for (let from = window.from; from <= window.to; from = addDays(from, days)) {
    yield { from, to: minDate(addDays(from, days - 1), window.to) };
  }
}

function quotaLow(page: RunReportResponse | undefined, reserve: number): string | undefined {
  const quota = page?.propertyQuota;
  const hourly = quota?.tokensPerHour?.remaining;
  const daily = quota?.tokensPerDay?.remaining;
  if (hourly !== undefined && hourly < reserve) return `GA4 hourly property quota nearly used (${hourly} tokens left, reserve ${reserve})`;
  if (daily !== undefined && daily < reserve) return `GA4 daily property quota nearly used (${daily} tokens left, reserve ${reserve})`;
  return undefined;
}
