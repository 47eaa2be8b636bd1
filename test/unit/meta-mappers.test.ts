import { describe, expect, it } from 'vitest';
import { RecordError, SourceError } from '../../core/errors.ts';
import { mapRecords } from '../../core/sync/rejects.ts';
import { MetaReduceDataError, toSourceError } from '../../connectors/meta/client.ts';
import { MetaSourceConfig } from '../../connectors/meta/config.ts';
import { InsightsPage, toInsightRow, type InsightRow } from '../../connectors/meta/insights.ts';
import { sumActions, toCampaignDailyRow, toInteger, toNumber, type AccountContext } from '../../connectors/meta/mappers.ts';
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
const pixelRow: InsightRow = toInsightRow(InsightsPage.parse({
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
}).data[0]);

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

  it('throws a RecordError naming date_stop for a row that spans more than one day', () => {
    // Prepare: what a request without time_increment=1 would return
    const raw: InsightRow = { ...pixelRow, date_start: '2026-11-01', date_stop: '2026-11-22' };
    // Act
    const act = () => toCampaignDailyRow(raw, context);
    // Assess
    expect(act).toThrow(RecordError);
    expect(act).toThrow('Meta insights row spans 2026-11-01 … 2026-11-22; expected one day (time_increment=1)');
    expect(fieldOf(act)).toBe('date_stop');
  });

  it('throws a RecordError naming the metric for a metric that is not a number', () => {
    // Prepare
    const raw: InsightRow = { ...pixelRow, spend: 'n/a' };
    // Act
    const act = () => toCampaignDailyRow(raw, context);
    // Assess
    expect(act).toThrow(RecordError);
    expect(act).toThrow('Meta spend is not a number: "n/a"');
    expect(fieldOf(act)).toBe('spend');
  });

  it.each([
    ['date_start', { date_start: '2026/11/22', date_stop: '2026/11/22' }, 'Meta date_start is not a YYYY-MM-DD calendar date: "2026/11/22"'],
    ['date_start', { date_start: '2026-02-30', date_stop: '2026-02-30' }, 'Meta date_start is not a YYYY-MM-DD calendar date: "2026-02-30"'],
    ['date_stop', { date_stop: '2026-11-22T00:00:00+0900' }, 'Meta date_stop is not a YYYY-MM-DD calendar date: "2026-11-22T00:00:00+0900"'],
    ['campaign_id', { campaign_id: 'spring_sale' }, 'Meta campaign_id is not a string of digits: "spring_sale"'],
    ['account_id', { account_id: 'act_1029384756' }, 'Meta account_id is not a string of digits: "act_1029384756"'],
    ['account_currency', { account_currency: '₩' }, 'Meta account_currency is not an ISO 4217 code: "₩"'],
    ['impressions', { impressions: '1,234' }, 'Meta impressions is not a number: "1,234"'],
    ['clicks', { clicks: '0x1f' }, 'Meta clicks is not a number: "0x1f"'],
    ['impressions', { impressions: '1e30' }, 'Meta impressions is out of range: "1e30"'],
    ['actions', { actions: [{ action_type: 'purchase', value: 'three' }] }, 'Meta actions purchase is not a number: "three"'],
    ['action_values', { action_values: [{ action_type: 'lead', value: 'NaN' }] }, 'Meta action_values lead is not a number: "NaN"'],
  ])('throws a RecordError naming %s for %o', (field, change, message) => {
    // Prepare
    const raw: InsightRow = { ...pixelRow, ...change };
    // Act
    const act = () => toCampaignDailyRow(raw, context);
    // Assess
    expect(act).toThrow(RecordError);
    expect(act).toThrow(message);
    expect(fieldOf(act)).toBe(field);
  });
});

/** The field a RecordError names. */
function fieldOf(act: () => unknown): string | undefined {
  try {
    act();
  } catch (error) {
    return (error as RecordError).field;
  }
  throw new Error('expected a RecordError');
}

describe('toInsightRow', () => {
  it('coerces what the contract allows: null and left-out values as missing, numbers where strings are expected, unknown fields ignored', () => {
    // Prepare
    const raw = {
      account_id: null, campaign_id: '23850123456789', campaign_name: 2026, date_start: '2026-11-22', date_stop: '2026-11-22',
      impressions: 1200, clicks: null, spend: 5339.5, actions: [{ action_type: 'purchase', value: 2, '7d_click': '2' }, { action_type: 'lead', value: null }],
      action_values: null, reach: '900', brand_new_field: { nested: [1, 2] },
    };
    // Act
    const row = toInsightRow(raw);
    // Assess
    expect(row).toEqual({
      account_id: undefined, account_name: undefined, account_currency: undefined, campaign_id: '23850123456789', campaign_name: '2026',
      date_start: '2026-11-22', date_stop: '2026-11-22', impressions: '1200', clicks: undefined, spend: '5339.5',
      actions: [{ action_type: 'purchase', value: '2', '7d_click': '2' }, { action_type: 'lead', value: undefined }], action_values: undefined,
    });
  });

  it.each([
    [undefined, 'a text', 'Meta insights row is not an object: "a text"'],
    [undefined, null, 'Meta insights row is not an object: null'],
    [undefined, ['23850123456789'], 'Meta insights row is not an object: ["23850123456789"]'],
    ['campaign_id', { date_start: '2026-11-22', date_stop: '2026-11-22' }, 'Meta insights row has no campaign_id'],
    ['campaign_id', { campaign_id: 23850123456789012, date_start: '2026-11-22', date_stop: '2026-11-22' }, 'Meta campaign_id is not a string of digits: 23850123456789012'],
    ['account_id', { account_id: 1029384756, campaign_id: '1', date_start: '2026-11-22', date_stop: '2026-11-22' }, 'Meta account_id is not a string of digits: 1029384756'],
    ['date_start', { campaign_id: '1', date_start: null, date_stop: '2026-11-22' }, 'Meta insights row has no date_start'],
    ['date_stop', { campaign_id: '1', date_start: '2026-11-22', date_stop: ['2026-11-22'] }, 'Meta date_stop is not a string: ["2026-11-22"]'],
    ['campaign_name', { campaign_id: '1', campaign_name: { ko: '봄 세일' }, date_start: '2026-11-22', date_stop: '2026-11-22' }, 'Meta campaign_name is not a string: {"ko":"봄 세일"}'],
    ['spend', { campaign_id: '1', spend: true, date_start: '2026-11-22', date_stop: '2026-11-22' }, 'Meta spend is not a number: true'],
    ['actions', { campaign_id: '1', actions: { purchase: '3' }, date_start: '2026-11-22', date_stop: '2026-11-22' }, 'Meta actions is not a list of { action_type, value }: {"purchase":"3"}'],
    ['actions', { campaign_id: '1', actions: ['purchase'], date_start: '2026-11-22', date_stop: '2026-11-22' }, 'Meta actions[0] is not an { action_type, value } entry: "purchase"'],
    ['action_values', { campaign_id: '1', action_values: [{ action_type: 'purchase', value: { amount: 3 } }], date_start: '2026-11-22', date_stop: '2026-11-22' }, 'Meta action_values purchase is not a number: {"amount":3}'],
  ])('throws a RecordError naming %s for %o', (field, raw, message) => {
    // Prepare: the row above
    // Act
    const act = () => toInsightRow(raw);
    // Assess
    expect(act).toThrow(RecordError);
    expect(act).toThrow(message);
    expect(fieldOf(act)).toBe(field);
  });
});

describe('odd values in an insights page', () => {
  it('maps what the contract allows, keeps Korean, emoji and huge names, and sets aside the rest with the reason, the field and the raw row', () => {
    // Prepare: one good row and rows with the oddities APIs send, on a page whose envelope is sound
    const day = { date_start: '2026-11-22', date_stop: '2026-11-22' };
    const page = InsightsPage.parse({
      data: [
        { campaign_id: '1', campaign_name: 'spring_sale', impressions: '100', clicks: '3', spend: '250', ...day },
        { campaign_id: '2', campaign_name: '봄_세일 🎉', impressions: 100, clicks: null, spend: 250.5, actions: [{ action_type: 'purchase', value: 2 }], surprise: 'new field', ...day },
        { campaign_id: '3', campaign_name: '가'.repeat(100_000), ...day },
        { campaign_id: '4', spend: 'n/a', ...day },
        { campaign_id: '5', date_start: '22/11/2026', date_stop: '22/11/2026' },
        { campaign_id: '6', date_start: '2026-11-21', date_stop: '2026-11-22' },
        { campaign_id: 7, ...day },
        { campaign_id: '8', actions: { purchase: '1' }, ...day },
        'not a row',
      ],
      paging: { cursors: { before: 'MA', after: 'OA' } },
    });
    // Act
    const { rows, rejected } = mapRecords(page.data, (raw) => toCampaignDailyRow(toInsightRow(raw), context));
    // Assess
    expect(rows.map((r) => [r.campaign_id, r.campaign_name, r.impressions, r.clicks, r.spend, r.conversions])).toEqual([
      ['1', 'spring_sale', 100, 3, 250, 0],
      ['2', '봄_세일 🎉', 100, 0, 250.5, 2],
      ['3', '가'.repeat(100_000), 0, 0, 0, 0],
    ]);
    expect(rejected.map((r) => [r.field, r.reason])).toEqual([
      ['spend', 'Meta spend is not a number: "n/a"'],
      ['date_start', 'Meta date_start is not a YYYY-MM-DD calendar date: "22/11/2026"'],
      ['date_stop', 'Meta insights row spans 2026-11-21 … 2026-11-22; expected one day (time_increment=1)'],
      ['campaign_id', 'Meta campaign_id is not a string of digits: 7'],
      ['actions', 'Meta actions is not a list of { action_type, value }: {"purchase":"1"}'],
      [undefined, 'Meta insights row is not an object: "not a row"'],
    ]);
    expect(rejected[0]!.raw).toEqual({ campaign_id: '4', spend: 'n/a', ...day });
  });

  it('still fails the whole page when its envelope is not one (data is not a list)', () => {
    // Prepare
    const body = { data: { campaign_id: '1' } };
    // Act
    const parsed = InsightsPage.safeParse(body);
    // Assess
    expect(parsed.success).toBe(false);
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

  it('read decimal text in any of its spellings, round counts, and count a missing action value as zero', () => {
    // Prepare
    const values = ['1234', '12.75', '0', '1e3', '-3', '.5'];
    // Act
    const numbers = values.map((value) => toNumber(value, 'spend'));
    const counts = values.map((value) => toInteger(value, 'clicks'));
    const withMissingValue = sumActions([{ action_type: 'purchase', value: undefined }, { action_type: 'purchase', value: '2' }], ['purchase']);
    // Assess
    expect(numbers).toEqual([1234, 12.75, 0, 1000, -3, 0.5]);
    expect(counts).toEqual([1234, 13, 0, 1000, -3, 1]);
    expect(withMissingValue).toBe(2);
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
