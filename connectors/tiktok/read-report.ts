import type { DateWindow, ReadContext, StreamEvent } from '../../core/connector.ts';
import { addDays, daysBetween, minDate } from '../../core/dates.ts';
import { SourceError } from '../../core/errors.ts';
import { mapRecords } from '../../core/sync/rejects.ts';
import { TiktokDateSpanError, type TiktokClient } from './client.ts';
import { TIKTOK_MAX_DAILY_SPAN_DAYS } from './config.ts';
import { toCampaignDailyRow, toTimeZone, type AdvertiserContext } from './mappers.ts';
import { tiktokCampaignDaily } from './streams.ts';

export interface CampaignDailyReadOptions {
  readonly sourceId: string;
  readonly advertiserIds: readonly string[];
  readonly chunkDays: number;
  readonly pageSize: number;
}

/** The widest span TikTok has accepted so far in this run; shrinks when TikTok refuses one. */
interface SpanLimit {
  days: number;
}

/**
 * Reads the daily campaign report over the window in chunks of `chunkDays` (at most TikTok's 30).
 * Within a chunk every advertiser is read, all pages; only then a checkpoint says the chunk's
 * partitions are complete, because one partition file holds every advertiser of the source.
 * Dates are the advertisers' own days (each account's time zone), recorded per row.
 */
export async function* readCampaignDaily(client: TiktokClient, options: CampaignDailyReadOptions, context: ReadContext): AsyncGenerator<StreamEvent> {
  const stream = tiktokCampaignDaily.name;
  const advertisers = await advertiserContexts(client, options, stream);
  const limit: SpanLimit = { days: Math.min(options.chunkDays, TIKTOK_MAX_DAILY_SPAN_DAYS) };

  for (const chunk of chunks(context.window, limit.days)) {
    const syncedAt = new Date();
    for (const advertiser of advertisers) {
      yield* readSpan(client, { ...advertiser, syncedAt }, chunk, limit, options.pageSize, context);
    }
    yield { kind: 'checkpoint', through: chunk.to, covers: chunk };
  }
}

/** An advertiser's facts for its rows, all but the sync time. */
type Advertiser = Omit<AdvertiserContext, 'syncedAt'>;

/** Name, currency, zone and campaign statuses per advertiser, read once per run. */
async function advertiserContexts(client: TiktokClient, options: CampaignDailyReadOptions, stream: string): Promise<Advertiser[]> {
  const infos = await client.advertiserInfo(options.advertiserIds, stream);
  const contexts: Advertiser[] = [];
  for (const info of infos) {
    const errorContext = { source: options.sourceId, stream, advertiserId: info.advertiser_id };
    const currency = info.currency?.trim();
    if (!currency || !/^[A-Z]{3}$/.test(currency)) {
      throw new SourceError(`TikTok advertiser ${info.advertiser_id} has no ISO currency in its account info (got ${JSON.stringify(info.currency ?? null)})`, { context: errorContext });
    }
    const timeZone = toTimeZone(info);
    if (!timeZone) {
      throw new SourceError(
        `TikTok advertiser ${info.advertiser_id} has a time zone the pipeline cannot read (timezone ${JSON.stringify(info.timezone ?? null)}, display_timezone ${JSON.stringify(info.display_timezone ?? null)})`,
        { context: errorContext },
      );
    }
    const campaigns = await client.campaigns(info.advertiser_id, options.pageSize, stream);
    const campaignStatuses = new Map(campaigns.flatMap((c) => (c.operation_status ? [[c.campaign_id, c.operation_status] as const] : [])));
    contexts.push({
      sourceId: options.sourceId, advertiserId: info.advertiser_id, advertiserName: info.name ?? null,
      currency, timeZone, campaignStatuses,
    });
  }
  return contexts;
}

/**
 * One advertiser over one chunk, in spans TikTok accepts: when it refuses a span as too wide, the
 * same start is asked again for half the days, and the narrower limit holds for the rest of the run.
 * Each row is checked as it is mapped: one that cannot be read is yielded as rejected beside its page's rows.
 */
async function* readSpan(
  client: TiktokClient, advertiser: AdvertiserContext, chunk: DateWindow, limit: SpanLimit, pageSize: number, context: ReadContext,
): AsyncGenerator<StreamEvent> {
  const stream = tiktokCampaignDaily.name;
  for (let from = chunk.from; from <= chunk.to;) {
    const to = minDate(addDays(from, limit.days - 1), chunk.to);
    let pagesRead = 0;
    try {
      for await (const page of client.reportPages({ advertiserId: advertiser.advertiserId, startDate: from, endDate: to, pageSize }, stream)) {
        pagesRead += 1;
        const { rows, rejected } = mapRecords(page.list, (row) => toCampaignDailyRow(row, advertiser));
        if (page.list.length > 0) yield { kind: 'rows', rows, ...(rejected.length > 0 ? { rejected } : {}) };
        context.signal?.throwIfAborted();
      }
    } catch (error) {
      const days = daysBetween(from, to) + 1;
      // Only a first page can be refused for its span; later, or at one day, it is a real failure.
      if (!(error instanceof TiktokDateSpanError) || pagesRead > 0 || days === 1) throw error;
      limit.days = Math.ceil(days / 2);
      context.log.warn(`TikTok refused ${days} days per report request; asking for ${limit.days} at a time`, { advertiserId: advertiser.advertiserId });
      continue;
    }
    from = addDays(to, 1);
  }
}

function* chunks(window: DateWindow, days: number): Generator<DateWindow> {
  for (let from = window.from; from <= window.to; from = addDays(from, days)) {
    yield { from, to: minDate(addDays(from, days - 1), window.to) };
  }
}
