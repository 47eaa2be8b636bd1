import { describe, expect, it } from 'vitest';
import { SourceError } from '../../core/errors.ts';
import { MetaReduceDataError, toSourceError } from '../../connectors/meta/client.ts';
import { MetaSourceConfig } from '../../connectors/meta/config.ts';
import { InsightsPage, type InsightRow } from '../../connectors/meta/insights.ts';
import { sumActions, toCampaignDailyRow, toNumber, type AccountContext } from '../../connectors/meta/mappers.ts';
import { readUsage, throttleWaitMs } from '../../connectors/meta/rate-limit.ts';
import { campaignFactsFor, plantedDipRange, sandboxCampaigns } from '../../connectors/meta/sandbox/seed-data.ts';

const syncedAt = new Date('2026-11-23T01:02:03.000Z');
const context: AccountContext = {
  sourceId: 'social',
  accountId: '1029384756',
  accountName: '서울 쇼핑몰 광고 계정 1',
  currency: 'KRW',
  timeZone: 'Asia/Seoul',
  campaignStatuses: new Map([['23850123456789', 'ACTIVE']]),
  actionTypes: ['purchase', 'lead'],
  syncedAt,
};

/** An insights row as Meta sends it for a pixel-tracked shop: one purchase shows under several overlapping names. */
const pixelRow: InsightRow = InsightsPage.parse({
  data: [{
    account_id: '1029384756',
    account_name: '서울 쇼핑몰 광고 계정 1',
    account_currency: 'KRW',
    campaign_id: '23850123456789',
    campaign_name: 'spring_sale',
    impressions: '49120',
    clicks: '512',
    spend: '301245',
    actions: [
      { action_type: 'link_click', value: '331' },
      { action_type: 'landing_page_view', value: '270' },
      { action_type: 'offsite_conversion.fb_pixel_lead', value: '2' },
      { action_type: 'lead', value: '2' },
      { action_type: 'offsite_conversion.fb_pixel_purchase', value: '9' },
      { action_type: 'omni_purchase', value: '9' },
      { action_type: 'purchase', value: '9' },
    ],
    action_values: [
      { action_type: 'offsite_conversion.fb_pixel_purchase', value: '523400' },
      { action_type: 'omni_purchase', value: '523400' },
      { action_type: 'purchase', value: '523400' },
    ],
    date_start: '2026-11-22',
    date_stop: '2026-11-22',
  }],
  paging: { cursors: { before: 'MAZDZD', after: 'MAZDZD' } },
}).data[0]!;

describe('toCampaignDailyRow', () => {
  it('maps a pixel-tracked row to the exact table row, counting purchase and lead once each', () => {
    // Prepare: pixelRow above
    // Act
    const row = toCampaignDailyRow(pixelRow, context);
    // Assess
    expect(row).toEqual({
      date: '2026-11-22',
      account_id: '1029384756',
      account_name: '서울 쇼핑몰 광고 계정 1',
      campaign_id: '23850123456789',
      campaign_name: 'spring_sale',
      campaign_status: 'ACTIVE',
      impressions: 49120,
      clicks: 512,
      spend: 301245,
      conversions: 11,
      conversions_value: 523400,
      currency: 'KRW',
      time_zone: 'Asia/Seoul',
      source_id: 'social',
      synced_at: syncedAt,
      actions_json: JSON.stringify(pixelRow.actions),
      action_values_json: JSON.stringify(pixelRow.action_values),
    });
  });

  it('counts zero conversions and stores null action arrays when Meta leaves them out, and falls back to the account facts', () => {
    // Prepare: a campaign that only delivered; Meta omits actions, action_values, names and currency.
    const raw: InsightRow = { campaign_id: '23850999', date_start: '2026-11-22', date_stop: '2026-11-22', impressions: '1200', spend: '5339.5' };
    // Act
    const row = toCampaignDailyRow(raw, context);
    // Assess
    expect(row).toMatchObject({
      account_id: '1029384756', account_name: '서울 쇼핑몰 광고 계정 1', campaign_name: null, campaign_status: null,
      impressions: 1200, clicks: 0, spend: 5339.5, conversions: 0, conversions_value: 0, currency: 'KRW',
      actions_json: null, action_values_json: null,
    });
  });

  it('sums the configured action types only', () => {
    // Prepare: a source that counts pixel purchases alone
    const pixelOnly: AccountContext = { ...context, actionTypes: ['offsite_conversion.fb_pixel_purchase'] };
    // Act
    const row = toCampaignDailyRow(pixelRow, pixelOnly);
    // Assess
    expect([row.conversions, row.conversions_value]).toEqual([9, 523400]);
  });

  it('throws a TypeError for a row that spans more than one day', () => {
    // Prepare: what a request without time_increment=1 would return
    const raw: InsightRow = { ...pixelRow, date_start: '2026-11-01', date_stop: '2026-11-22' };
    // Act
    const act = () => toCampaignDailyRow(raw, context);
    // Assess
    expect(act).toThrow(new TypeError('Meta insights row spans 2026-11-01 … 2026-11-22; expected one day (time_increment=1)'));
  });

  it('throws a TypeError for a metric that is not a number', () => {
    // Prepare
    const raw: InsightRow = { ...pixelRow, spend: 'n/a' };
    // Act
    const act = () => toCampaignDailyRow(raw, context);
    // Assess
    expect(act).toThrow(new TypeError('Meta spend is not a number: "n/a"'));
  });
});

describe('sumActions and toNumber', () => {
  it('add fractional values (modelled conversions) and skip other types', () => {
    // Prepare
    const stats = [{ action_type: 'purchase', value: '2.5' }, { action_type: 'lead', value: '1' }, { action_type: 'link_click', value: '40' }];
    // Act
    const total = sumActions(stats, ['purchase', 'lead']);
    // Assess
    expect(total).toBe(3.5);
    expect([sumActions(undefined, ['purchase']), toNumber('', 'clicks'), toNumber(undefined, 'clicks')]).toEqual([0, 0, 0]);
  });
});

describe('MetaSourceConfig', () => {
  it('normalises act_ ids and fills the defaults', () => {
    // Prepare
    const input = { id: 'social', type: 'meta', accountIds: ['act_1029384756', ' 2233445566 '], auth: { type: 'access_token', secret: 'meta/social' } };
    // Act
    const config = MetaSourceConfig.parse(input);
    // Assess
    expect(config).toMatchObject({
      accountIds: ['1029384756', '2233445566'], lookbackDays: 28, backfillDays: 90, chunkDays: 90, asyncThresholdDays: 31,
      actionTypes: ['purchase', 'lead'], pageSize: 500, apiVersion: 'v26.0',
      rateLimit: { slowDownAtPercent: 90, pauseSeconds: 30, fallbackWaitSeconds: 60, maxWaitMinutes: 15, maxRetries: 8 },
      asyncPoll: { firstDelaySeconds: 2, maxDelaySeconds: 30, timeoutMinutes: 60 },
    });
  });

  it('rejects action types that count the same conversions, and a missing auth outside the sandbox', () => {
    // Prepare
    const input = { id: 'social', type: 'meta', accountIds: ['123'], actionTypes: ['purchase', 'omni_purchase', 'lead'] };
    // Act
    const result = MetaSourceConfig.safeParse(input);
    // Assess
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['auth', 'add auth: { type: access_token, secret: <secret name> } (or sandbox: {} to use the bundled sandbox)'],
      ['actionTypes', 'purchase and omni_purchase count the same conversions; keep one of them (e.g. purchase)'],
    ]);
  });

  it('rejects an account id that is not a number', () => {
    // Prepare
    const input = { id: 'social', type: 'meta', accountIds: ['act_shop'], sandbox: {} };
    // Act
    const result = MetaSourceConfig.safeParse(input);
    // Assess
    expect(result.error!.issues[0]!.message).toBe('write the ad account id as digits or act_<digits>, e.g. "act_1234567890" (Business Settings → Ad accounts)');
  });
});

describe('rate-limit headers', () => {
  const headers = (values: Record<string, string>) => (name: string) => values[name];

  it('reads the highest utilisation and turns minutes and seconds hints into milliseconds', () => {
    // Prepare
    const usage = headers({
      'x-business-use-case-usage': JSON.stringify({ 1029384756: [{ type: 'ads_insights', call_count: 28, total_cputime: 95, total_time: 40, estimated_time_to_regain_access: 2 }] }),
      'x-fb-ads-insights-throttle': JSON.stringify({ app_id_util_pct: 12.5, acc_id_util_pct: 3.1 }),
      'x-ad-account-usage': JSON.stringify({ acc_id_util_pct: 9.67, reset_time_duration: 100, ads_api_access_tier: 'standard_access' }),
    });
    // Act
    const read = readUsage(usage);
    // Assess: 2 minutes beat 100 seconds.
    expect(read).toEqual({ highestPercent: 95, hintedWaitMs: 120_000 });
    expect(throttleWaitMs(read, { fallbackWaitMs: 60_000 })).toBe(120_000);
  });

  it('falls back when the hints are 0 and ignores a malformed header', () => {
    // Prepare
    const usage = headers({
      'x-business-use-case-usage': JSON.stringify({ 1029384756: [{ type: 'ads_insights', call_count: 100, estimated_time_to_regain_access: 0 }] }),
      'x-fb-ads-insights-throttle': '{not json',
    });
    // Act
    const read = readUsage(usage);
    // Assess
    expect(read).toEqual({ highestPercent: 100, hintedWaitMs: undefined });
    expect(throttleWaitMs(read, { fallbackWaitMs: 60_000 })).toBe(60_000);
  });
});

describe('toSourceError', () => {
  const call = { method: 'GET' as const, path: 'act_1029384756/insights', accountId: '1029384756' };
  const ctx = { source: 'social', stream: 'ads_meta_campaign_daily' };
  const noUsage = { highestPercent: undefined, hintedWaitMs: undefined };

  it('classifies "reduce the amount of data" (code 1, HTTP 500) as a split-the-window error, not a retry', () => {
    // Prepare
    const error = { message: "Please reduce the amount of data you're asking for, then retry your request", code: 1 };
    // Act
    const result = toSourceError(500, error, noUsage, call, ctx, 60_000);
    // Assess
    expect(result).toBeInstanceOf(MetaReduceDataError);
    expect(result.retryable).toBe(false);
  });

  it('treats code 80000 as throttling with the hinted wait, and code 2 as transient', () => {
    // Prepare
    const throttled = { message: 'There have been too many calls from this ad-account. Wait a bit and try again.', type: 'OAuthException', code: 80000, error_subcode: 2446079 };
    // Act
    const rateLimited = toSourceError(400, throttled, { highestPercent: 100, hintedWaitMs: 300_000 }, call, ctx, 60_000);
    const transient = toSourceError(500, { message: 'An unexpected error has occurred. Please retry your request later.', code: 2 }, noUsage, call, ctx, 60_000);
    // Assess
    expect(rateLimited).toMatchObject({ retryable: true, retryAfterMs: 300_000, context: { status: 400, code: 80000, subcode: 2446079 } });
    expect(rateLimited.message).toBe('Meta throttled GET act_1029384756/insights (HTTP 400, code 80000/2446079): There have been too many calls from this ad-account. Wait a bit and try again.');
    expect(transient).toMatchObject({ retryable: true, message: 'Meta GET act_1029384756/insights failed (HTTP 500, code 2): An unexpected error has occurred. Please retry your request later.' });
  });

  it('fails fast on an expired token and on a missing permission, saying what to check', () => {
    // Prepare
    const expired = { message: 'Error validating access token: Session has expired on Sunday, 22-Nov-26 09:00:00 PST.', type: 'OAuthException', code: 190, error_subcode: 463 };
    const denied = { message: '(#200) Ad account owner has NOT grant ads_management or ads_read permission', type: 'OAuthException', code: 200 };
    // Act
    const token = toSourceError(400, expired, noUsage, call, ctx, 60_000);
    const permission = toSourceError(400, denied, noUsage, call, ctx, 60_000);
    // Assess
    expect(token).toBeInstanceOf(SourceError);
    expect(token.retryable).toBe(false);
    expect(token.message).toMatch(/^Meta rejected the access token \(HTTP 400, code 190\/463\): Error validating access token: Session has expired/);
    expect(token.message).toMatch(/generate a new system-user token with ads_read/);
    expect(permission.message).toBe('Meta denied access to ad account act_1029384756 (HTTP 400, code 200): (#200) Ad account owner has NOT grant ads_management or ads_read permission. Check that the system user has ads_read and is assigned to the ad account.');
    expect(permission.retryable).toBe(false);
  });
});

describe('sandbox seed data', () => {
  it("tells the shop's Meta story: its two campaigns, ~300k and ~140k KRW a day, CTR about 1%, fewer conversions in the dip", () => {
    // Prepare
    const options = { seed: 42, anchorDate: '2026-10-16', accountIds: ['1029384756'] };
    const normalWeek = ['2026-09-28', '2026-09-29', '2026-09-30', '2026-10-01', '2026-10-02'];
    const dipWeek = ['2026-10-05', '2026-10-06', '2026-10-07', '2026-10-08', '2026-10-09'];
    const sum = (days: string[], name: string, pick: (f: ReturnType<typeof campaignFactsFor>[number]) => number) =>
      days.flatMap((d) => campaignFactsFor(d, options)).filter((f) => f.campaignName === name).reduce((t, f) => t + pick(f), 0);
    // Act
    const names = sandboxCampaigns(options.accountIds).map((c) => c.name);
    const springSpend = sum(normalWeek, 'spring_sale', (f) => f.spend) / normalWeek.length;
    const retargetingSpend = sum(normalWeek, 'retargeting', (f) => f.spend) / normalWeek.length;
    const ctr = sum(normalWeek, 'spring_sale', (f) => f.clicks) / sum(normalWeek, 'spring_sale', (f) => f.impressions);
    const conversionsPerClick = (days: string[]) => sum(days, 'retargeting', (f) => f.purchases + f.leads) / sum(days, 'retargeting', (f) => f.clicks);
    // Assess
    expect(names).toEqual(['spring_sale', 'retargeting']);
    expect(plantedDipRange('2026-10-16')).toEqual({ from: '2026-10-05', to: '2026-10-16' });
    expect(springSpend).toBeGreaterThan(270_000);
    expect(springSpend).toBeLessThan(330_000);
    expect(retargetingSpend).toBeGreaterThan(125_000);
    expect(retargetingSpend).toBeLessThan(155_000);
    expect(ctr).toBeGreaterThan(0.009);
    expect(ctr).toBeLessThan(0.011);
    expect(conversionsPerClick(dipWeek)).toBeLessThan(conversionsPerClick(normalWeek) * 0.8);
    expect(campaignFactsFor('2026-10-17', options)).toEqual([]);
  });
});
