import type { DateWindow, ReadContext, StreamEvent } from '../../core/connector.ts';
import { addDays, minDate } from '../../core/dates.ts';
import { Ga4QuotaExhaustedError, type Ga4Client } from './client.ts';
import type { Ga4SourceConfig } from './config.ts';
import type { ReportContext } from './mappers.ts';
import { mapRecords } from '../../core/sync/rejects.ts';
import { headersOf, toReportRecord, type RunReportResponse } from './report.ts';
import type { Ga4ReportStream } from './streams.ts';

/**
 * Reads one report stream over the window in chunks of `chunkDays`; after each chunk's pages, a
 * checkpoint tells the writer those partitions are complete. Stops cleanly (a `partial` event)
 * when the property quota is nearly or fully used, so the next run resumes from the checkpoint.
 */
export async function* readReport(
  client: Ga4Client, config: Ga4SourceConfig, spec: Ga4ReportStream, context: ReadContext,
): AsyncGenerator<StreamEvent> {
  for (const chunk of chunks(context.window, config.chunkDays)) {
    const syncedAt = new Date();
    let lastPage: RunReportResponse | undefined;
    try {
      for await (const page of client.pages({
        dateRanges: [{ startDate: chunk.from, endDate: chunk.to }],
        dimensions: spec.dimensions.map((name) => ({ name })),
        metrics: spec.metrics.map((name) => ({ name })),
        limit: config.pageSize,
        returnPropertyQuota: true,
        keepEmptyRows: false,
      }, spec.table.name)) {
        lastPage = page;
        const reportContext: ReportContext = {
          sourceId: config.id, propertyId: config.propertyId, syncedAt,
          currency: page.metadata?.currencyCode ?? null, timeZone: page.metadata?.timeZone ?? null,
        };
        const headers = headersOf(page);
        const { rows, rejected } = mapRecords(page.rows, (raw) => spec.toRow(toReportRecord(raw, headers), reportContext));
        if (page.rows.length > 0) yield { kind: 'rows', rows, ...(rejected.length > 0 ? { rejected } : {}) };
        context.signal?.throwIfAborted();
      }
    } catch (error) {
      if (error instanceof Ga4QuotaExhaustedError) {
        yield { kind: 'partial', reason: error.message };
        return;
      }
      throw error;
    }
    yield { kind: 'checkpoint', through: chunk.to, covers: chunk };
    const low = quotaLow(lastPage, config.quotaReserveTokens);
    if (low && chunk.to < context.window.to) {
      yield { kind: 'partial', reason: low };
      return;
    }
  }
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
