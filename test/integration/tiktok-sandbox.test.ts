import { afterEach, describe, expect, it } from 'vitest';
import { TIKTOK_SANDBOX_ADVERTISER_ID, campaignFactsFor, plantedDipRange, sandboxCampaigns } from '../../connectors/tiktok/sandbox/seed-data.ts';
import { startTiktokSandbox, type RunningTiktokSandbox, type TiktokSandboxOptions } from '../../connectors/tiktok/sandbox/server.ts';
import { addDays, eachDay } from '../../core/dates.ts';

// A Friday; the planted dip then runs Monday 2026-10-05 … 2026-10-16.
const anchorDate = '2026-10-16';
const token = 'sandbox-wire-test-token';
const running: RunningTiktokSandbox[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.stop()));
});

async function sandboxWith(options: TiktokSandboxOptions = {}): Promise<RunningTiktokSandbox> {
  const sandbox = await startTiktokSandbox({ anchorDate, accessToken: token, ...options });
  running.push(sandbox);
  return sandbox;
}

/** A GET as TikTok's docs show it: arrays JSON-encoded in the query string, the token in Access-Token. */
async function get(sandbox: RunningTiktokSandbox, path: string, params: Record<string, string | readonly string[]>, headers: Record<string, string> = { 'Access-Token': token }) {
  const url = new URL(`open_api/v1.3/${path}`, sandbox.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  const response = await fetch(url, { headers });
  return { status: response.status, body: (response.headers.get('content-type') ?? '').includes('json') ? await response.json() as Record<string, unknown> : await response.text() };
}

const report = (overrides: Record<string, string | readonly string[]> = {}) => ({
  advertiser_id: TIKTOK_SANDBOX_ADVERTISER_ID, service_type: 'AUCTION', report_type: 'BASIC', data_level: 'AUCTION_CAMPAIGN',
  dimensions: ['campaign_id', 'stat_time_day'],
  metrics: ['campaign_name', 'spend', 'impressions', 'clicks', 'conversion', 'total_complete_payment_rate'],
  start_date: '2026-10-12', end_date: '2026-10-14', page: '1', page_size: '2', ...overrides,
});

describe('TikTok sandbox wire format', () => {
  it('answers the integrated report with string metrics, stat_time_day and page_info', async () => {
    // Prepare
    const sandbox = await sandboxWith();
    const [campaign] = sandboxCampaigns(TIKTOK_SANDBOX_ADVERTISER_ID);
    const facts = ['2026-10-12', '2026-10-13'].flatMap((day) => campaignFactsFor(day, { seed: 42, anchorDate, advertiserId: TIKTOK_SANDBOX_ADVERTISER_ID }));

    // Act
    const { status, body } = await get(sandbox, 'report/integrated/get/', report());

    // Assess
    expect(status).toBe(200);
    expect(body).toEqual({
      code: 0, message: 'OK', request_id: expect.stringMatching(/^\d{14}[0-9A-F]{20}$/),
      data: {
        list: facts.map((fact) => ({
          dimensions: { campaign_id: campaign!.campaignId, stat_time_day: `${fact.date} 00:00:00` },
          metrics: {
            campaign_name: 'tiktok_awareness', spend: `${fact.spend}.00`, impressions: String(fact.impressions), clicks: String(fact.clicks),
            conversion: String(fact.conversions), total_complete_payment_rate: `${fact.conversionsValue}.00`,
          },
        })),
        page_info: { page: 1, page_size: 2, total_number: 3, total_page: 2 },
      },
    });
  });

  it('serves the last page and an empty page past it', async () => {
    // Prepare
    const sandbox = await sandboxWith();

    // Act
    const last = await get(sandbox, 'report/integrated/get/', report({ page: '2' }));
    const past = await get(sandbox, 'report/integrated/get/', report({ page: '3' }));

    // Assess
    const lastData = (last.body as { data: { list: Array<{ dimensions: { stat_time_day: string } }>; page_info: unknown } }).data;
    expect(lastData.list.map((row) => row.dimensions.stat_time_day)).toEqual(['2026-10-14 00:00:00']);
    expect(lastData.page_info).toEqual({ page: 2, page_size: 2, total_number: 3, total_page: 2 });
    expect((past.body as { data: unknown }).data).toEqual({ list: [], page_info: { page: 3, page_size: 2, total_number: 3, total_page: 2 } });
  });

  it('has no rows after anchorDate or before its history', async () => {
    // Prepare
    const sandbox = await sandboxWith({ historyDays: 10 });

    // Act
    const future = await get(sandbox, 'report/integrated/get/', report({ start_date: '2026-10-17', end_date: '2026-10-20' }));
    const early = await get(sandbox, 'report/integrated/get/', report({ start_date: '2026-10-01', end_date: '2026-10-08', page_size: '100' }));

    // Assess
    expect((future.body as { data: unknown }).data).toEqual({ list: [], page_info: { page: 1, page_size: 2, total_number: 0, total_page: 0 } });
    const days = (early.body as { data: { list: Array<{ dimensions: { stat_time_day: string } }> } }).data.list.map((r) => r.dimensions.stat_time_day.slice(0, 10));
    expect(days).toEqual(['2026-10-07', '2026-10-08']);
  });

  it.each([
    ['no Access-Token header', {}, 40104, 'Access token is null, you should set it in http header with key Access-Token.'],
    ['a wrong token', { 'Access-Token': 'wrong' }, 40105, 'Access token is incorrect or has been revoked.'],
    ['a bearer Authorization header instead', { Authorization: `Bearer ${token}` }, 40104, 'Access token is null, you should set it in http header with key Access-Token.'],
  ])('answers %s with HTTP 200 and code %i', async (_name, headers, code, message) => {
    // Prepare
    const sandbox = await sandboxWith();

    // Act
    const { status, body } = await get(sandbox, 'report/integrated/get/', report(), headers);

    // Assess
    expect(status).toBe(200);
    expect(body).toEqual({ code, message, request_id: expect.any(String), data: {} });
  });

  it.each([
    ['an unknown metric', { metrics: ['spend', 'voucher_spend', 'cash_spend'] }, 40002,
      "Please correct the information in invalid metric fields and try again. Invalid metric fields: ['voucher_spend', 'cash_spend']. "],
    ['dimensions that are not a JSON array', { dimensions: 'campaign_id,stat_time_day' }, 40002, 'dimensions: Not a valid list.'],
    ['a page_size over 1000', { page_size: '1001' }, 40002, 'page_size: Must be between 1 and 1000.'],
    ['end_date before start_date', { start_date: '2026-10-14', end_date: '2026-10-12' }, 40002, 'end_date: end_date must be later than or equal to start_date.'],
    ['31 days with stat_time_day', { start_date: '2026-09-15', end_date: '2026-10-15' }, 40067,
      'The date range is too large: with stat_time_day the time span between start_date and end_date can be at most 30 days.'],
    ['an advertiser the token cannot read', { advertiser_id: '7000000000000000001' }, 40001, 'No permission to operate advertiser 7000000000000000001.'],
  ])('refuses %s with code %i', async (_name, overrides, code, message) => {
    // Prepare
    const sandbox = await sandboxWith();

    // Act
    const { status, body } = await get(sandbox, 'report/integrated/get/', report(overrides));

    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ code, message, data: {} });
  });

  it('answers a path without its trailing slash with a bare HTTP 404', async () => {
    // Prepare
    const sandbox = await sandboxWith();

    // Act
    const { status, body } = await get(sandbox, 'report/integrated/get', report());

    // Assess
    expect(status).toBe(404);
    expect(body).toBe('404 page not found');
  });

  it('throttles every Nth request with code 40100, then serves again', async () => {
    // Prepare
    const sandbox = await sandboxWith({ throttle: { everyNthRequest: 2 } });

    // Act
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await get(sandbox, 'report/integrated/get/', report())).body);

    // Assess
    expect(codes.map((body) => (body as { code: number }).code)).toEqual([0, 40100, 0, 40100]);
    expect(codes[1]).toMatchObject({ message: 'Too many requests. Please retry in some time.' });
    expect(sandbox.requestCount()).toBe(4);
  });

  it('answers advertiser/info with the asked fields for each advertiser id', async () => {
    // Prepare
    const sandbox = await sandboxWith({ advertiserIds: [TIKTOK_SANDBOX_ADVERTISER_ID, '7123456789012345679'] });

    // Act
    const { body } = await get(sandbox, 'advertiser/info/', {
      advertiser_ids: ['7123456789012345679', TIKTOK_SANDBOX_ADVERTISER_ID], fields: ['name', 'currency', 'timezone'],
    });

    // Assess
    expect(body).toMatchObject({
      code: 0, message: 'OK',
      data: {
        list: [
          { advertiser_id: '7123456789012345679', name: 'Seoul Shop TikTok 2', currency: 'KRW', timezone: 'Asia/Seoul' },
          { advertiser_id: TIKTOK_SANDBOX_ADVERTISER_ID, name: 'Seoul Shop TikTok', currency: 'KRW', timezone: 'Asia/Seoul' },
        ],
      },
    });
  });

  it('answers campaign/get with the shop campaign, its status and page_info', async () => {
    // Prepare
    const sandbox = await sandboxWith();

    // Act
    const { body } = await get(sandbox, 'campaign/get/', {
      advertiser_id: TIKTOK_SANDBOX_ADVERTISER_ID, fields: ['campaign_id', 'campaign_name', 'operation_status'], page: '1', page_size: '1000',
    });

    // Assess
    expect(body).toMatchObject({
      code: 0,
      data: {
        list: [{ campaign_id: sandboxCampaigns(TIKTOK_SANDBOX_ADVERTISER_ID)[0]!.campaignId, campaign_name: 'tiktok_awareness', operation_status: 'ENABLE' }],
        page_info: { page: 1, page_size: 1000, total_number: 1, total_page: 1 },
      },
    });
  });
});

describe('TikTok sandbox seed data', () => {
  it('spends about 200,000 KRW a day at ~0.8% CTR with a few conversions, and plants the dip', () => {
    // Prepare: the 5 weeks before the dip and the dip weeks
    const dip = plantedDipRange(anchorDate);
    const days = [...eachDay(addDays(dip.from, -35), anchorDate)];
    const facts = days.flatMap((day) => campaignFactsFor(day, { seed: 42, anchorDate, advertiserId: TIKTOK_SANDBOX_ADVERTISER_ID }));

    // Act
    const inDip = facts.filter((f) => f.date >= dip.from);
    const before = facts.filter((f) => f.date < dip.from);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const ctr = facts.reduce((a, f) => a + f.clicks, 0) / facts.reduce((a, f) => a + f.impressions, 0);
    const rate = (subset: typeof facts) => subset.reduce((a, f) => a + f.conversions, 0) / subset.reduce((a, f) => a + f.clicks, 0);

    // Assess
    expect(facts.every((f) => f.campaignName === 'tiktok_awareness' && Number.isInteger(f.spend) && Number.isInteger(f.conversionsValue))).toBe(true);
    expect(mean(facts.map((f) => f.spend))).toBeGreaterThan(150_000);
    expect(mean(facts.map((f) => f.spend))).toBeLessThan(230_000);
    expect(ctr).toBeGreaterThan(0.007);
    expect(ctr).toBeLessThan(0.009);
    expect(mean(before.map((f) => f.conversions))).toBeGreaterThan(2);
    expect(mean(before.map((f) => f.conversions))).toBeLessThan(6);
    expect(rate(inDip)).toBeLessThan(rate(before) * 0.8);
    expect(campaignFactsFor(addDays(anchorDate, 1), { seed: 42, anchorDate, advertiserId: TIKTOK_SANDBOX_ADVERTISER_ID })).toEqual([]);
  });
});
