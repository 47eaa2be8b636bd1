import type { DateWindow, ReadContext, StreamEvent } from '../../core/connector.ts';
import { addDays, minDate } from '../../core/dates.ts';
import { mapRecordSlices } from '../../core/sync/rejects.ts';
import { GoogleAdsQuotaExhaustedError, type GoogleAdsClient } from './client.ts';
import type { GoogleAdsSourceConfig } from './config.ts';
import { gaqlQuery } from './report.ts';
import type { GoogleAdsReportStream } from './streams.ts';

/**
 * Reads one report stream over the window in chunks of `chunkDays`. Each chunk is one GAQL query
 * per customer; the checkpoint for the chunk follows only after every customer's batches, because
 * a partition file holds all the source's accounts and replaces the previous one whole. Stops
 * cleanly (a `partial` event) when the daily operations quota is used up; the rows of a chunk
 * left half-read are never written, and the next run resumes from the last checkpoint.
 */
export async function* readReport(
  client: GoogleAdsClient, config: GoogleAdsSourceConfig, spec: GoogleAdsReportStream, context: ReadContext,
): AsyncGenerator<StreamEvent> {
  for (const chunk of chunks(context.window, config.chunkDays)) {
    const syncedAt = new Date();
    const query = gaqlQuery({ fields: spec.fields, resource: spec.resource, from: chunk.from, to: chunk.to });
    try {
      for (const customerId of config.customerIds) {
        for await (const batch of client.searchStream(customerId, query, spec.table.name, context.signal)) {
          for (const { rows, rejected } of mapRecordSlices(batch.results, (raw) => spec.toRow(raw, { sourceId: config.id, customerId, syncedAt }))) {
            yield { kind: 'rows', rows, ...(rejected.length > 0 ? { rejected } : {}) };
          }
          context.signal?.throwIfAborted();
        }
      }
    } catch (error) {
      if (error instanceof GoogleAdsQuotaExhaustedError) {
        yield { kind: 'partial', reason: error.message };
        return;
      }
      throw error;
    }
    yield { kind: 'checkpoint', through: chunk.to, covers: chunk };
  }
}

export function* chunks(window: DateWindow, days: number): Generator<DateWindow> {
  for (let from = window.from; from <= window.to; from = addDays(from, days)) {
    yield { from, to: minDate(addDays(from, days - 1), window.to) };
  }
}
