import type { DateWindow, ReadContext, StreamEvent } from '../../core/connector.ts';
import { addDays, daysBetween, minDate } from '../../core/dates.ts';
import { MetaReduceDataError, MetaThrottledError, type MetaClient } from './client.ts';
import type { MetaSourceConfig } from './config.ts';
import { mapRecords } from '../../core/sync/rejects.ts';
import { toInsightRow } from './insights.ts';
import { toCampaignDailyRow, type AccountContext } from './mappers.ts';

/**
 * Reads campaign × day insights over the window in chunks of `chunkDays`. Within a chunk every ad
 * account is read, and only then a checkpoint says the chunk's partitions are complete (a partition
 * file holds all accounts of the source). A chunk longer than `asyncThresholdDays` is read as an
 * async report run. A row the mapper cannot read goes to `_rejects` with the chunk's checkpoint.
 * When Meta throttles for longer than the source may wait, the stream stops cleanly (`partial`) and
 * the next run resumes from the last checkpoint.
 */
export async function* readCampaignDaily(
  client: MetaClient, config: MetaSourceConfig, stream: string, context: ReadContext,
): AsyncGenerator<StreamEvent> {
  // Account facts (currency, zone, campaign statuses) are read once per run, not per chunk.
  const accounts = new Map<string, Promise<Omit<AccountContext, 'syncedAt'>>>();
  const accountContext = (accountId: string) => {
    let facts = accounts.get(accountId);
    if (!facts) accounts.set(accountId, (facts = readAccountFacts(client, config, accountId, stream)));
    return facts;
  };

  for (const chunk of chunks(context.window, config.chunkDays)) {
    const syncedAt = new Date();
    try {
      for (const accountId of config.accountIds) {
        const facts = { ...(await accountContext(accountId)), syncedAt };
        const raws = await readWindow(client, config, accountId, chunk, stream, context);
        // Each row is checked as it is mapped: a row that cannot be read goes to _rejects, the others on to the lake.
        const { rows, rejected } = mapRecords(raws, (raw) => toCampaignDailyRow(toInsightRow(raw), facts));
        if (raws.length > 0) yield { kind: 'rows', rows, ...(rejected.length > 0 ? { rejected } : {}) };
        context.signal?.throwIfAborted();
      }
    } catch (error) {
      if (error instanceof MetaThrottledError) {
        yield { kind: 'partial', reason: error.message };
        return;
      }
      throw error;
    }
    yield { kind: 'checkpoint', through: chunk.to, covers: chunk };
  }
}

async function readAccountFacts(client: MetaClient, config: MetaSourceConfig, accountId: string, stream: string): Promise<Omit<AccountContext, 'syncedAt'>> {
  const account = await client.adAccount(accountId, stream);
  const campaignStatuses = await client.campaignStatuses(accountId, config.pageSize, stream);
  return {
    sourceId: config.id, accountId, accountName: account.name ?? null,
    currency: account.currency, timeZone: account.timezone_name,
    campaignStatuses, actionTypes: config.actionTypes,
  };
}

/**
 * Every insights row of one account over one window. Rows are collected before they are yielded,
 * so that when Meta asks for less data mid-way the window can be split in half and read again
 * without yielding a row twice.
 */
async function readWindow(
  client: MetaClient, config: MetaSourceConfig, accountId: string, window: DateWindow, stream: string, context: ReadContext,
): Promise<unknown[]> {
  const days = daysBetween(window.from, window.to) + 1;
  const pages = days > config.asyncThresholdDays
    ? client.asyncInsightPages(accountId, window, config.pageSize, stream)
    : client.insightPages(accountId, window, config.pageSize, stream);
  try {
    const rows: unknown[] = [];
    for await (const page of pages) rows.push(...page);
    return rows;
  } catch (error) {
    if (!(error instanceof MetaReduceDataError) || days === 1) throw error;
    const firstHalf = { from: window.from, to: addDays(window.from, Math.floor(days / 2) - 1) };
    const secondHalf = { from: addDays(firstHalf.to, 1), to: window.to };
    context.log.warn(`Meta asked for less data for act_${accountId} ${window.from} … ${window.to}; reading ${firstHalf.from} … ${firstHalf.to} and ${secondHalf.from} … ${secondHalf.to}`);
    return [
      ...await readWindow(client, config, accountId, firstHalf, stream, context),
      ...await readWindow(client, config, accountId, secondHalf, stream, context),
    ];
  }
}

function* chunks(window: DateWindow, days: number): Generator<DateWindow> {
  for (let from = window.from; from <= window.to; from = addDays(from, days)) {
    yield { from, to: minDate(addDays(from, days - 1), window.to) };
  }
}
