import { describe, expect, it } from 'vitest';
import { TiktokSourceConfig } from '../../connectors/tiktok/config.ts';
import { toCampaignDailyRow, toInteger, toIsoDate, toNumber, toTimeZone, type AdvertiserContext } from '../../connectors/tiktok/mappers.ts';
import { AdvertiserInfoData, ReportPage } from '../../connectors/tiktok/report.ts';

const syncedAt = new Date('2026-11-23T01:02:03.000Z');
const context: AdvertiserContext = {
  sourceId: 'tiktok_ads',
  advertiserId: '7123456789012345678',
  advertiserName: 'Seoul Shop TikTok',
  currency: 'KRW',
  timeZone: 'Asia/Seoul',
  campaignStatuses: new Map([['1800000000123456789', 'ENABLE'], ['1800000000987654321', 'DISABLE']]),
  syncedAt,
};

describe('toIsoDate', () => {
  it("turns TikTok's stat_time_day into YYYY-MM-DD", () => {
    // Prepare
    const statTimeDay = '2026-11-01 00:00:00';
    // Act
    const iso = toIsoDate(statTimeDay);
    // Assess
    expect(iso).toBe('2026-11-01');
  });

  it('accepts a bare date', () => {
    // Prepare
    const statTimeDay = '2026-02-28';
    // Act
    const iso = toIsoDate(statTimeDay);
    // Assess
    expect(iso).toBe('2026-02-28');
  });

  it.each([
    ['an hourly timestamp', '2026-11-01 13:00:00', '"2026-11-01 13:00:00"'],
    ['a compact date', '20261101', '"20261101"'],
    ['an empty string', '', '""'],
    ['undefined', undefined, 'undefined'],
  ])('throws a TypeError on %s', (_name, value, shown) => {
    // Prepare: the value above
    // Act
    const act = () => toIsoDate(value);
    // Assess
    expect(act).toThrow(TypeError);
    expect(act).toThrow(`TikTok stat_time_day is not "YYYY-MM-DD 00:00:00": ${shown}`);
  });
});

describe('toNumber and toInteger', () => {
  it('parse TikTok metric strings and plain numbers', () => {
    // Prepare
    const values = ['201234.00', '12.30', '1000', '0', 7, ' 42 '];
    // Act
    const numbers = values.map((v) => toNumber(v));
    const integers = values.map((v) => toInteger(v));
    // Assess
    expect(numbers).toEqual([201234, 12.3, 1000, 0, 7, 42]);
    expect(integers).toEqual([201234, 12, 1000, 0, 7, 42]);
  });

  it('count "-", empty, null and missing values as zero', () => {
    // Prepare: what TikTok sends where it has no value
    const values = ['-', '', null, undefined];
    // Act
    const numbers = values.map((v) => toNumber(v));
    // Assess
    expect(numbers).toEqual([0, 0, 0, 0]);
  });

  it('throw a TypeError naming the metric on text that is not a number', () => {
    // Prepare
    const value = 'N/A';
    // Act
    const act = () => toNumber(value, 'spend');
    // Assess
    expect(act).toThrow(TypeError);
    expect(act).toThrow('TikTok spend is not a number: "N/A"');
  });
});

describe('toTimeZone', () => {
  it.each([
    ['an IANA name', { timezone: 'Asia/Seoul' }, 'Asia/Seoul'],
    ['an Etc/GMT zone', { timezone: 'Etc/GMT-9' }, 'Etc/GMT-9'],
    ['a UTC offset east (sign flips in Etc/GMT)', { timezone: 'UTC+09:00' }, 'Etc/GMT-9'],
    ['a GMT offset west', { timezone: 'GMT-05:00' }, 'Etc/GMT+5'],
    ['a zero offset', { timezone: 'UTC+00:00' }, 'Etc/GMT'],
    ['a half-hour offset, falling back to display_timezone', { timezone: 'UTC+05:30', display_timezone: 'Asia/Kolkata' }, 'Asia/Kolkata'],
    ['only display_timezone', { display_timezone: 'America/Los_Angeles' }, 'America/Los_Angeles'],
  ])('reads %s', (_name, info, expected) => {
    // Prepare: the advertiser info fields above
    // Act
    const zone = toTimeZone(info);
    // Assess
    expect(zone).toBe(expected);
  });

  it.each([
    ['a half-hour offset alone', { timezone: 'UTC+05:30' }],
    ['a bare offset, which is not an IANA name', { timezone: '+09:00' }],
    ['an unknown name', { timezone: 'Mars/Olympus_Mons' }],
    ['nothing', {}],
  ])('gives undefined for %s', (_name, info) => {
    // Prepare: the advertiser info fields above
    // Act
    const zone = toTimeZone(info);
    // Assess
    expect(zone).toBeUndefined();
  });
});

describe('toCampaignDailyRow', () => {
  it('maps a report row, parsed from the wire, to the exact ads_tiktok_campaign_daily row', () => {
    // Prepare: one page of GET /report/integrated/get/ data as TikTok sends it (metrics as strings)
    const page = ReportPage.parse({
      list: [{
        dimensions: { campaign_id: '1800000000123456789', stat_time_day: '2026-11-01 00:00:00' },
        metrics: {
          campaign_name: 'tiktok_awareness', spend: '201234.00', impressions: '25139', clicks: '203',
          conversion: '4', total_complete_payment_rate: '231877.00',
        },
      }],
      page_info: { page: 1, page_size: 1000, total_number: 1, total_page: 1 },
    });
    // Act
    const row = toCampaignDailyRow(page.list[0]!, context);
    // Assess
    expect(row).toStrictEqual({
      date: '2026-11-01',
      account_id: '7123456789012345678',
      account_name: 'Seoul Shop TikTok',
      campaign_id: '1800000000123456789',
      campaign_name: 'tiktok_awareness',
      campaign_status: 'ENABLE',
      impressions: 25139,
      clicks: 203,
      spend: 201234,
      conversions: 4,
      conversions_value: 231877,
      currency: 'KRW',
      time_zone: 'Asia/Seoul',
      source_id: 'tiktok_ads',
      synced_at: syncedAt,
    });
  });

  it('writes zeros for "-" and missing metrics, null for an empty name and an unknown campaign, and an id sent as a number as text', () => {
    // Prepare: a deleted campaign (not in campaign/get), id as a JSON number, sparse metrics
    const page = ReportPage.parse({
      list: [{
        dimensions: { campaign_id: 1800000000555, stat_time_day: '2026-11-02 00:00:00' },
        metrics: { campaign_name: '-', spend: '0.50', impressions: '120', conversion: '-' },
      }],
    });
    // Act
    const row = toCampaignDailyRow(page.list[0]!, context);
    // Assess
    expect(row).toMatchObject({
      date: '2026-11-02', campaign_id: '1800000000555', campaign_name: null, campaign_status: null,
      impressions: 120, clicks: 0, spend: 0.5, conversions: 0, conversions_value: 0,
    });
  });

  it('records the disabled status of a paused campaign', () => {
    // Prepare
    const page = ReportPage.parse({
      list: [{ dimensions: { campaign_id: '1800000000987654321', stat_time_day: '2026-11-03 00:00:00' }, metrics: { spend: '10.00' } }],
    });
    // Act
    const row = toCampaignDailyRow(page.list[0]!, context);
    // Assess
    expect(row.campaign_status).toBe('DISABLE');
  });
});

describe('wire shapes', () => {
  it('parse an empty report page (no list, no page_info) as no rows', () => {
    // Prepare
    const data = {};
    // Act
    const page = ReportPage.parse(data);
    // Assess
    expect(page.list).toEqual([]);
    expect(page.page_info).toBeUndefined();
  });

  it('parse advertiser info with only the asked fields, ids as text', () => {
    // Prepare
    const data = { list: [{ advertiser_id: 7123456789012345, name: 'Seoul Shop TikTok', currency: 'KRW', timezone: 'Asia/Seoul' }] };
    // Act
    const info = AdvertiserInfoData.parse(data);
    // Assess
    expect(info.list).toEqual([{ advertiser_id: '7123456789012345', name: 'Seoul Shop TikTok', currency: 'KRW', timezone: 'Asia/Seoul' }]);
  });
});

describe('TiktokSourceConfig', () => {
  it('fills the defaults for a real account', () => {
    // Prepare
    const input = { id: 'tiktok_ads', type: 'tiktok', advertiserIds: ['7123456789012345678'], auth: { type: 'access_token', secret: 'kpi/tiktok' } };
    // Act
    const config = TiktokSourceConfig.parse(input);
    // Assess
    expect(config).toEqual({
      ...input, lookbackDays: 7, backfillDays: 90, chunkDays: 30, pageSize: 1000, apiVersion: 'v1.3',
      schedule: 'cron(0 5 * * ? *)', function: { memoryMb: 1024, timeoutSeconds: 900 }, maxDataLagDays: 1,
    });
  });

  it('refuses chunks wider than TikTok allows, and asks for auth and advertiser ids outside the sandbox', () => {
    // Prepare
    const input = { id: 'tiktok_ads', type: 'tiktok', sandbox: {}, chunkDays: 31 };
    // Act
    const result = TiktokSourceConfig.safeParse(input);
    // Assess
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['chunkDays', 'TikTok reports at most 30 days per daily request: write chunkDays: 30 or less'],
    ]);
    const missing = TiktokSourceConfig.safeParse({ id: 'tiktok_ads', type: 'tiktok' });
    expect(missing.error!.issues.map((issue) => issue.path.join('.'))).toEqual(['auth', 'advertiserIds']);
    expect(TiktokSourceConfig.safeParse({ id: 'tiktok_ads', type: 'tiktok', sandbox: {} }).success).toBe(true);
  });
});
