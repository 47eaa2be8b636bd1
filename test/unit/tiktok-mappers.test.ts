import { describe, expect, it } from 'vitest';
import { TiktokSourceConfig } from '../../connectors/tiktok/config.ts';
import { toCampaignDailyRow, toCampaignId, toInteger, toIsoDate, toNumber, toTimeZone, type AdvertiserContext } from '../../connectors/tiktok/mappers.ts';
import { AdvertiserInfoData, ReportPage } from '../../connectors/tiktok/report.ts';
import { RecordError } from '../../core/errors.ts';
import { mapRecords } from '../../core/sync/rejects.ts';

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

/** What `act` throws, which must be a RecordError: its message and the field it names. */
function recordErrorOf(act: () => unknown): { message: string; field: string | undefined } {
  try {
    act();
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    return { message: error.message, field: error.field };
  }
  throw new Error('expected a RecordError');
}

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
    ['day, month and year', '01/11/2026 00:00:00', '"01/11/2026 00:00:00"'],
    ['an epoch in seconds', 1_793_491_200, '1793491200'],
    ['an empty string', '', '""'],
    ['undefined', undefined, 'undefined'],
  ])('throws a RecordError naming stat_time_day on %s', (_name, value, shown) => {
    // Prepare: the value above
    // Act
    const act = () => toIsoDate(value);
    // Assess
    expect(recordErrorOf(act)).toEqual({ message: `TikTok stat_time_day is not "YYYY-MM-DD 00:00:00": ${shown}`, field: 'stat_time_day' });
  });

  it('throws a RecordError on a day no calendar has (February 30th)', () => {
    // Prepare
    const statTimeDay = '2026-02-30 00:00:00';
    // Act
    const act = () => toIsoDate(statTimeDay);
    // Assess
    expect(recordErrorOf(act)).toEqual({ message: 'TikTok stat_time_day is not a calendar day: "2026-02-30 00:00:00"', field: 'stat_time_day' });
  });
});

describe('toCampaignId', () => {
  it('keeps an int64 id sent as digits, and one sent as a JSON number small enough to be exact, as text', () => {
    // Prepare
    const ids = ['1800000000123456789', 1800000000555];
    // Act
    const read = ids.map(toCampaignId);
    // Assess
    expect(read).toEqual(['1800000000123456789', '1800000000555']);
  });

  it.each([
    ['a 19-digit id as a JSON number (its last digits already lost)', 1800000000123456789, 'TikTok campaign_id is a number too large to be exact: 1800000000123456800'],
    ['a fraction', 12.5, 'TikTok campaign_id is not an int64 id: 12.5'],
    ['a name', 'tiktok_awareness', 'TikTok campaign_id is not an int64 id: "tiktok_awareness"'],
    ['an object', { id: '1' }, 'TikTok campaign_id is not an int64 id: {"id":"1"}'],
    ['nothing', undefined, 'TikTok row has no campaign_id'],
  ])('throws a RecordError naming campaign_id on %s', (_name, value, message) => {
    // Prepare: the value above
    // Act
    const act = () => toCampaignId(value);
    // Assess
    expect(recordErrorOf(act)).toEqual({ message, field: 'campaign_id' });
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

  it.each([
    ['text', 'N/A', '"N/A"'],
    ['a decimal comma', '12,30', '"12,30"'],
    ['hexadecimal, which Number() would take', '0x10', '"0x10"'],
    ['Korean text', '1,000원', '"1,000원"'],
    ['a boolean', false, 'false'],
    ['a list', ['12.30'], '["12.30"]'],
  ])('throw a RecordError naming the metric on %s', (_name, value, shown) => {
    // Prepare: the value above
    // Act
    const act = () => toNumber(value, 'spend');
    // Assess
    expect(recordErrorOf(act)).toEqual({ message: `TikTok spend is not a number: ${shown}`, field: 'spend' });
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

describe('odd values in a report page', () => {
  it('coerces what the contract allows and sets aside, with the reason and the raw row, what it does not', () => {
    // Prepare: one good row and rows with the oddities APIs send, in one page whose paging is fine
    const day = '2026-11-01 00:00:00';
    const id = '1800000000123456789';
    const page = ReportPage.parse({
      list: [
        { dimensions: { campaign_id: id, stat_time_day: day }, metrics: { campaign_name: 'tiktok_awareness', spend: '100.00', impressions: '1000', clicks: '10', conversion: '1' } },
        {
          dimensions: { campaign_id: id, stat_time_day: '2026-11-01', placement_v2: 'x' }, attribution_note: '가'.repeat(20_000),
          metrics: { campaign_name: `${'x'.repeat(100_000)} 🎉 한글 캠페인`, spend: 100, impressions: null, conversion: '-', engaged_view_15s: '12' },
        },
        { dimensions: { campaign_id: id, stat_time_day: day } },
        { dimensions: { campaign_id: id, stat_time_day: '01/11/2026 00:00:00' }, metrics: { spend: '1.00' } },
        { dimensions: { campaign_id: id, stat_time_day: day }, metrics: { spend: '1.00', impressions: 'N/A' } },
        { dimensions: { campaign_id: 1800000000123456789, stat_time_day: day }, metrics: { spend: '1.00' } },
        { dimensions: { campaign_id: id, stat_time_day: day }, metrics: { campaign_name: { ko: '캠페인' } } },
        { dimensions: { campaign_id: id, stat_time_day: day }, metrics: ['1.00'] },
        { metrics: { spend: '1.00' } },
        'not a row',
      ],
      page_info: { page: 1, page_size: 10, total_number: 10, total_page: 1 },
    });
    // Act
    const { rows, rejected } = mapRecords(page.list, (raw) => toCampaignDailyRow(raw, context));
    // Assess
    expect(rows.map((r) => [r.date, r.campaign_name, r.impressions, r.clicks, r.spend, r.conversions, r.conversions_value])).toEqual([
      ['2026-11-01', 'tiktok_awareness', 1000, 10, 100, 1, 0],
      ['2026-11-01', `${'x'.repeat(100_000)} 🎉 한글 캠페인`, 0, 0, 100, 0, 0],
      ['2026-11-01', null, 0, 0, 0, 0, 0],
    ]);
    expect(rejected.map((r) => [r.field, r.reason])).toEqual([
      ['stat_time_day', 'TikTok stat_time_day is not "YYYY-MM-DD 00:00:00": "01/11/2026 00:00:00"'],
      ['impressions', 'TikTok impressions is not a number: "N/A"'],
      ['campaign_id', 'TikTok campaign_id is a number too large to be exact: 1800000000123456800'],
      ['campaign_name', 'TikTok campaign_name is not text: {"ko":"캠페인"}'],
      ['metrics', 'TikTok report row metrics is not an object: ["1.00"]'],
      ['dimensions', 'TikTok report row has no dimensions object: undefined'],
      [undefined, 'TikTok report row is not an object: "not a row"'],
    ]);
    expect(rejected[1]!.raw).toEqual({ dimensions: { campaign_id: id, stat_time_day: day }, metrics: { spend: '1.00', impressions: 'N/A' } });
  });

  it('stops on an error that is not about the row (a bug is not bad data)', () => {
    // Prepare: an advertiser context without its campaign statuses
    const broken = { ...context, campaignStatuses: undefined } as unknown as AdvertiserContext;
    const page = ReportPage.parse({ list: [{ dimensions: { campaign_id: '1', stat_time_day: '2026-11-01' }, metrics: {} }] });
    // Act
    const act = () => mapRecords(page.list, (raw) => toCampaignDailyRow(raw, broken));
    // Assess
    expect(act).toThrow(TypeError);
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
