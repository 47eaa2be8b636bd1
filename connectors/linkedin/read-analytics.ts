import type { DateWindow, ReadContext, StreamEvent } from '../../core/connector.ts';
import { addDays, daysBetween, minDate } from '../../core/dates.ts';
import { SourceError } from '../../core/errors.ts';
import { mapRecords } from '../../core/sync/rejects.ts';
import type { AdCampaign, AdCampaignGroup } from './api.ts';
import { LinkedinDailyLimitError, type LinkedinClient } from './client.ts';
import type { LinkedinSourceConfig } from './config.ts';
import { toCampaignDailyRow, type CampaignRowContext } from './mappers.ts';
import { adsLinkedinCampaignDaily, LINKEDIN_ANALYTICS_FIELDS } from './streams.ts';

/** One ad account with what its rows need: name, currency, campaigns and campaign groups by id. */
export interface AccountCatalog {
  readonly id: string;
  readonly name: string | null;
  readonly currency: string;
  readonly campaigns: ReadonlyMap<string, AdCampaign>;
  readonly campaignGroups: ReadonlyMap<string, AdCampaignGroup>;
}

/**
 * Reads ads_linkedin_campaign_daily over the window in chunks of `chunkDays`. Each chunk reads every
 * account before its checkpoint, because one partition file holds all the source's accounts.
 * adAnalytics does not page and drops elements past its cap without saying so, so each request's
 * range is cut to keep campaigns × days under `maxElementsPerRequest`, and an answer that reaches the
 * cap anyway is read again in two halves. A daily (UTC) quota stops the run cleanly (`partial`).
 * An element the mapper cannot read is yielded as rejected beside its answer's rows.
 */
export async function* readCampaignDaily(client: LinkedinClient, config: LinkedinSourceConfig, context: ReadContext): AsyncGenerator<StreamEvent> {
  const stream = adsLinkedinCampaignDaily.name;
  try {
    const accounts: AccountCatalog[] = [];
    for (const accountId of config.accountIds) {
      accounts.push(await loadAccount(client, accountId, config.pageSize, stream));
      context.signal?.throwIfAborted();
    }
    for (const chunk of chunks(context.window, config.chunkDays)) {
      const syncedAt = new Date();
      for (const account of accounts) {
        const rowContext: CampaignRowContext = {
          sourceId: config.id, accountId: account.id, accountName: account.name, currency: account.currency,
          campaigns: account.campaigns, campaignGroups: account.campaignGroups, syncedAt,
        };
        const days = daysPerRequest(account.campaigns.size, config.maxElementsPerRequest);
        for (const range of chunks(chunk, days)) {
          yield* readRange(client, account, range, config.maxElementsPerRequest, rowContext, context);
        }
      }
      yield { kind: 'checkpoint', through: chunk.to, covers: chunk };
    }
  } catch (error) {
    if (error instanceof LinkedinDailyLimitError) {
      yield { kind: 'partial', reason: error.message };
      return;
    }
    throw error;
  }
}

async function loadAccount(client: LinkedinClient, accountId: string, pageSize: number, stream: string): Promise<AccountCatalog> {
  const account = await client.adAccount(accountId, stream);
  const campaigns = new Map<string, AdCampaign>();
  for await (const page of client.campaigns(accountId, pageSize, stream)) {
    for (const campaign of page) campaigns.set(campaign.id, campaign);
  }
  const campaignGroups = new Map<string, AdCampaignGroup>();
  for await (const page of client.campaignGroups(accountId, pageSize, stream)) {
    for (const group of page) campaignGroups.set(group.id, group);
  }
  return { id: accountId, name: account.name ?? null, currency: account.currency, campaigns, campaignGroups };
}

async function* readRange(
  client: LinkedinClient, account: AccountCatalog, range: DateWindow, limit: number, rowContext: CampaignRowContext, context: ReadContext,
): AsyncGenerator<StreamEvent> {
  const response = await client.analytics(account.id, range, LINKEDIN_ANALYTICS_FIELDS, adsLinkedinCampaignDaily.name);
  context.signal?.throwIfAborted();
  if (response.elements.length >= limit) {
    // At the cap the answer may be cut short: read the halves instead.
    if (range.from === range.to) {
      throw new SourceError(
        `LinkedIn adAnalytics returned ${response.elements.length} elements for ad account ${account.id} on ${range.from}, ` +
        `the most it returns in one answer (maxElementsPerRequest ${limit}); rows past it would be lost.`,
        { context: { source: rowContext.sourceId, stream: adsLinkedinCampaignDaily.name, accountId: account.id } },
      );
    }
    const middle = addDays(range.from, Math.floor(daysBetween(range.from, range.to) / 2));
    context.log.debug(`adAnalytics answer reached ${limit} elements; splitting ${range.from} … ${range.to}`);
    yield* readRange(client, account, { from: range.from, to: middle }, limit, rowContext, context);
    yield* readRange(client, account, { from: addDays(middle, 1), to: range.to }, limit, rowContext, context);
    return;
  }
  if (response.elements.length > 0) {
    // Each element is checked as it is mapped: one that cannot be read goes to _rejects, the rest to the lake.
    const { rows, rejected } = mapRecords(response.elements, (element) => toCampaignDailyRow(element, rowContext));
    yield { kind: 'rows', rows, ...(rejected.length > 0 ? { rejected } : {}) };
  }
}

/** Days one request may cover so that campaigns × days stays below the element cap. */
export function daysPerRequest(campaignCount: number, limit: number): number {
  return Math.max(1, Math.floor((limit - 1) / Math.max(1, campaignCount)));
}

export function* chunks(window: DateWindow, days: number): Generator<DateWindow> {
  for (let from = window.from; from <= window.to; from = addDays(from, days)) {
    yield { from, to: minDate(addDays(from, days - 1), window.to) };
  }
}
