import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../core/connector.ts';
import { silentLogger } from '../../core/log.ts';
import { AdCampaign, AdCampaignGroup, AnalyticsResponse } from '../../connectors/linkedin/api.ts';
import type { LinkedinClient } from '../../connectors/linkedin/client.ts';
import { LinkedinSourceConfig } from '../../connectors/linkedin/config.ts';
import { dayOf, idFromUrn, toCampaignDailyRow, toInteger, toIsoDate, toNumber, type CampaignRowContext } from '../../connectors/linkedin/mappers.ts';
import { daysPerRequest, readCampaignDaily } from '../../connectors/linkedin/read-analytics.ts';
import { encodeRestliValue, restliDateRange, restliList } from '../../connectors/linkedin/restli.ts';
import { RecordError } from '../../core/errors.ts';
import { mapRecords } from '../../core/sync/rejects.ts';

const syncedAt = new Date('2026-11-21T00:10:00.000Z');

/** A campaign search page and a group search page as LinkedIn returns them, parsed like the client does. */
const campaigns = [
  AdCampaign.parse({
    id: 781230001, name: 'b2b_webinar_leadgen', status: 'ACTIVE', account: 'urn:li:sponsoredAccount:512345678',
    campaignGroup: 'urn:li:sponsoredCampaignGroup:634120001', type: 'SPONSORED_UPDATES', costType: 'CPM',
  }),
  AdCampaign.parse({ id: 781230009, name: 'old_test', status: 'ARCHIVED', account: 'urn:li:sponsoredAccount:512345678' }),
];
const groups = [AdCampaignGroup.parse({ id: 634120001, name: 'b2b_webinar', status: 'ACTIVE', account: 'urn:li:sponsoredAccount:512345678' })];

const context: CampaignRowContext = {
  sourceId: 'linkedin_ads',
  accountId: '512345678',
  accountName: 'Seoul Shop B2B',
  currency: 'USD',
  campaigns: new Map(campaigns.map((c) => [c.id, c])),
  campaignGroups: new Map(groups.map((g) => [g.id, g])),
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

/** An element as the client hands it over: parsed JSON, checked only when it is mapped. */
function element(json: string): unknown {
  return AnalyticsResponse.parse({ elements: [JSON.parse(json)] }).elements[0];
}

describe('toIsoDate', () => {
  it("turns LinkedIn's { year, month, day } into YYYY-MM-DD", () => {
    // Prepare
    const date = { year: 2026, month: 1, day: 5 };
    // Act
    const iso = toIsoDate(date);
    // Assess
    expect(iso).toBe('2026-01-05');
  });

  it.each([
    ['a missing date', undefined, 'LinkedIn element has no dateRange.start'],
    ['February 30th', { year: 2026, month: 2, day: 30 }, 'LinkedIn date is not a calendar date: {"year":2026,"month":2,"day":30}'],
    ['month 13', { year: 2026, month: 13, day: 1 }, 'LinkedIn date is not a calendar date: {"year":2026,"month":13,"day":1}'],
    ['an ISO string', '2026-11-17', 'LinkedIn dateRange.start is not a { year, month, day } date: "2026-11-17"'],
    ['fields as text', { year: '2026', month: '11', day: '17' }, 'LinkedIn dateRange.start is not a { year, month, day } date: {"year":"2026","month":"11","day":"17"}'],
    ['an epoch in milliseconds', 1_795_392_000_000, 'LinkedIn dateRange.start is not a { year, month, day } date: 1795392000000'],
  ])('throws a RecordError naming dateRange.start on %s', (_name, date, message) => {
    // Prepare: the date above
    // Act
    const act = () => toIsoDate(date);
    // Assess
    expect(recordErrorOf(act)).toEqual({ message, field: 'dateRange.start' });
  });
});

describe('dayOf', () => {
  it('takes the day of a DAILY element, whose end (when sent) is the same day', () => {
    // Prepare
    const ranges = [{ start: { year: 2026, month: 11, day: 17 }, end: { year: 2026, month: 11, day: 17 } }, { start: { year: 2026, month: 11, day: 18 } }];
    // Act
    const days = ranges.map(dayOf);
    // Assess
    expect(days).toEqual(['2026-11-17', '2026-11-18']);
  });

  it('throws a RecordError on a range of several days and on a range that is no record', () => {
    // Prepare
    const week = { start: { year: 2026, month: 11, day: 10 }, end: { year: 2026, month: 11, day: 16 } };
    // Act
    const long = () => dayOf(week);
    const text = () => dayOf('2026-11-10/2026-11-16');
    // Assess
    expect(recordErrorOf(long)).toEqual({
      message: 'LinkedIn dateRange of a DAILY element spans more than one day: 2026-11-10 … 2026-11-16', field: 'dateRange',
    });
    expect(recordErrorOf(text)).toEqual({ message: 'LinkedIn dateRange is not a { start, end } range: "2026-11-10/2026-11-16"', field: 'dateRange' });
  });
});

describe('idFromUrn', () => {
  it('takes the id from a URN of the expected type', () => {
    // Prepare
    const urn = 'urn:li:sponsoredCampaign:781230001';
    // Act
    const id = idFromUrn(urn, 'sponsoredCampaign', 'pivotValues');
    // Assess
    expect(id).toBe('781230001');
  });

  it.each([
    ['a URN of another type', 'urn:li:sponsoredCreative:781230001', '"urn:li:sponsoredCreative:781230001"'],
    ['a bare id as a number', 781230001, '781230001'],
    ['a bare id as text', '781230001', '"781230001"'],
  ])('throws a RecordError naming the field on %s', (_name, urn, shown) => {
    // Prepare: the value above
    // Act
    const act = () => idFromUrn(urn, 'sponsoredCampaign', 'pivotValues');
    // Assess
    expect(recordErrorOf(act)).toEqual({ message: `LinkedIn pivotValues is not a sponsoredCampaign URN: ${shown}`, field: 'pivotValues' });
  });
});

describe('toNumber and toInteger', () => {
  it('parse BigDecimal strings and numbers, and count missing as zero', () => {
    // Prepare
    const values = ['103.65830779556263', '0', 12, 2.5, null, undefined, '', '2726', '1.5E+2'] as const;
    // Act
    const numbers = values.map((value) => toNumber(value));
    const integers = values.map((value) => toInteger(value));
    // Assess
    expect(numbers).toEqual([103.65830779556263, 0, 12, 2.5, 0, 0, 0, 2726, 150]);
    expect(integers).toEqual([104, 0, 12, 3, 0, 0, 0, 2726, 150]);
  });

  it.each([
    ['a decimal comma', '12,34', '"12,34"'],
    ['hexadecimal, which Number() would take', '0x1A', '"0x1A"'],
    ['Korean text', '12.34 달러', '"12.34 달러"'],
    ['a number too large for a double', `1${'0'.repeat(400)}`, `"1${'0'.repeat(78)}…`],
    ['a boolean', true, 'true'],
    ['an object', { amount: '12.34' }, '{"amount":"12.34"}'],
  ])('throws a RecordError naming the metric on %s', (_name, value, shown) => {
    // Prepare: the value above
    // Act
    const act = () => toNumber(value, 'costInLocalCurrency');
    // Assess
    expect(recordErrorOf(act)).toEqual({ message: `LinkedIn costInLocalCurrency is not a number: ${shown}`, field: 'costInLocalCurrency' });
  });

  it("names the field 'metric' when not told one", () => {
    // Prepare
    const value = '12,34';
    // Act
    const act = () => toNumber(value);
    // Assess
    expect(recordErrorOf(act)).toEqual({ message: 'LinkedIn metric is not a number: "12,34"', field: 'metric' });
  });
});

describe('toCampaignDailyRow', () => {
  it('maps an adAnalytics element with its campaign and campaign group', () => {
    // Prepare: money as strings, counts as numbers, as adAnalytics sends them.
    const raw = element(`{
      "pivotValues": ["urn:li:sponsoredCampaign:781230001"],
      "dateRange": { "start": { "month": 11, "day": 17, "year": 2026 }, "end": { "month": 11, "day": 17, "year": 2026 } },
      "impressions": 2726, "clicks": 14, "costInLocalCurrency": "99.02",
      "externalWebsiteConversions": 2, "conversionValueInLocalCurrency": "95.61"
    }`);
    // Act
    const row = toCampaignDailyRow(raw, context);
    // Assess
    expect(row).toStrictEqual({
      date: '2026-11-17', account_id: '512345678', account_name: 'Seoul Shop B2B',
      campaign_id: '781230001', campaign_name: 'b2b_webinar_leadgen', campaign_status: 'ACTIVE',
      impressions: 2726, clicks: 14, spend: 99.02, conversions: 2, conversions_value: 95.61,
      currency: 'USD', time_zone: 'UTC', source_id: 'linkedin_ads', synced_at: syncedAt,
      campaign_group_id: '634120001', campaign_group_name: 'b2b_webinar',
    });
    expect(Object.keys(row).slice(0, 15)).toEqual([
      'date', 'account_id', 'account_name', 'campaign_id', 'campaign_name', 'campaign_status', 'impressions', 'clicks',
      'spend', 'conversions', 'conversions_value', 'currency', 'time_zone', 'source_id', 'synced_at',
    ]);
  });

  it('counts omitted metrics as zero and keeps a campaign the finder no longer lists, without names', () => {
    // Prepare: a deleted campaign; LinkedIn left out conversions and the conversion value.
    const raw = element(`{
      "pivotValues": ["urn:li:sponsoredCampaign:700000001"],
      "dateRange": { "start": { "year": 2026, "month": 3, "day": 1 }, "end": { "year": 2026, "month": 3, "day": 1 } },
      "impressions": 10, "clicks": 0, "costInLocalCurrency": "0.4100000000000000"
    }`);
    // Act
    const row = toCampaignDailyRow(raw, context);
    // Assess
    expect(row).toMatchObject({
      date: '2026-03-01', campaign_id: '700000001', campaign_name: null, campaign_status: null,
      impressions: 10, clicks: 0, spend: 0.41, conversions: 0, conversions_value: 0,
      campaign_group_id: null, campaign_group_name: null,
    });
  });

  it('leaves the group empty for a campaign without a campaignGroup', () => {
    // Prepare
    const raw = element(`{ "pivotValues": ["urn:li:sponsoredCampaign:781230009"],
      "dateRange": { "start": { "year": 2026, "month": 3, "day": 2 } }, "impressions": 1 }`);
    // Act
    const row = toCampaignDailyRow(raw, context);
    // Assess
    expect(row).toMatchObject({ campaign_name: 'old_test', campaign_status: 'ARCHIVED', campaign_group_id: null, campaign_group_name: null, spend: 0 });
  });

  it('throws a RecordError when pivotValues is missing (fields did not ask for it)', () => {
    // Prepare
    const raw = element('{ "impressions": 5, "clicks": 1 }');
    // Act
    const act = () => toCampaignDailyRow(raw, context);
    // Assess
    expect(recordErrorOf(act)).toEqual({ message: 'LinkedIn element has no pivotValues', field: 'pivotValues' });
  });
});

describe('odd values in an adAnalytics answer', () => {
  it('coerces what the contract allows and sets aside, with the reason and the raw element, what it does not', () => {
    // Prepare: one good element and elements with the oddities APIs send
    const day = { start: { year: 2026, month: 11, day: 17 }, end: { year: 2026, month: 11, day: 17 } };
    const campaign = ['urn:li:sponsoredCampaign:781230001'];
    const response = AnalyticsResponse.parse({
      paging: { start: 0, count: 10, links: [] },
      elements: [
        { pivotValues: campaign, dateRange: day, impressions: 2726, clicks: 14, costInLocalCurrency: '99.02', externalWebsiteConversions: 2, conversionValueInLocalCurrency: '95.61' },
        { pivotValues: campaign, dateRange: day, impressions: '2726', clicks: null, costInLocalCurrency: 99.02, note: `한글 메모 🎉 ${'x'.repeat(100_000)}`, newMetricV2: { value: 1 } },
        { pivotValues: campaign, dateRange: { start: '2026-11-17' }, impressions: 1 },
        { pivotValues: campaign, dateRange: day, impressions: 1, costInLocalCurrency: '99.02 달러 💸' },
        { pivotValues: ['urn:li:sponsoredCreative:781230001'], dateRange: day, impressions: 1 },
        { pivotValues: [781230001], dateRange: day, impressions: 1 },
        { pivotValues: campaign, dateRange: day, impressions: 1, clicks: [3] },
        { pivotValues: 'urn:li:sponsoredCampaign:781230001', dateRange: day },
        'not an element',
      ],
    });
    // Act
    const { rows, rejected } = mapRecords(response.elements, (raw) => toCampaignDailyRow(raw, context));
    // Assess
    expect(rows.map((r) => [r.date, r.campaign_id, r.impressions, r.clicks, r.spend, r.conversions, r.conversions_value])).toEqual([
      ['2026-11-17', '781230001', 2726, 14, 99.02, 2, 95.61],
      ['2026-11-17', '781230001', 2726, 0, 99.02, 0, 0],
    ]);
    expect(rejected.map((r) => [r.field, r.reason])).toEqual([
      ['dateRange.start', 'LinkedIn dateRange.start is not a { year, month, day } date: "2026-11-17"'],
      ['costInLocalCurrency', 'LinkedIn costInLocalCurrency is not a number: "99.02 달러 💸"'],
      ['pivotValues', 'LinkedIn pivotValues is not a sponsoredCampaign URN: "urn:li:sponsoredCreative:781230001"'],
      ['pivotValues', 'LinkedIn pivotValues is not a sponsoredCampaign URN: 781230001'],
      ['clicks', 'LinkedIn clicks is not a number: [3]'],
      ['pivotValues', 'LinkedIn pivotValues is not a list: "urn:li:sponsoredCampaign:781230001"'],
      [undefined, 'LinkedIn adAnalytics element is not an object: "not an element"'],
    ]);
    expect(rejected[1]!.raw).toEqual({ pivotValues: campaign, dateRange: day, impressions: 1, costInLocalCurrency: '99.02 달러 💸' });
  });

  it("rejects an element whose campaign has a campaignGroup that is not a group URN, naming the campaign", () => {
    // Prepare: the campaign search returned a group reference of the wrong type
    const odd = AdCampaign.parse({ id: 781230003, name: '봄 웨비나 🌸', status: 'ACTIVE', campaignGroup: 'urn:li:sponsoredAccount:512345678' });
    const withOdd: CampaignRowContext = { ...context, campaigns: new Map([...context.campaigns, [odd.id, odd]]) };
    const raw = element('{ "pivotValues": ["urn:li:sponsoredCampaign:781230003"], "dateRange": { "start": { "year": 2026, "month": 3, "day": 2 } } }');
    // Act
    const act = () => toCampaignDailyRow(raw, withOdd);
    // Assess
    expect(recordErrorOf(act)).toEqual({
      message: 'LinkedIn campaign 781230003\'s campaignGroup is not a sponsoredCampaignGroup URN: "urn:li:sponsoredAccount:512345678"',
      field: 'campaignGroup',
    });
  });
});

describe('Rest.li 2.0 query values', () => {
  it('writes a dateRange record with integer fields', () => {
    // Prepare
    const [from, to] = ['2026-01-01', '2026-01-31'];
    // Act
    const value = restliDateRange(from, to);
    // Assess
    expect(value).toBe('(start:(year:2026,month:1,day:1),end:(year:2026,month:1,day:31))');
  });

  it('writes a List with the URN syntax characters percent-encoded', () => {
    // Prepare
    const urns = ['urn:li:sponsoredAccount:123', 'urn:li:sponsoredAccount:456'];
    // Act
    const value = restliList(urns);
    // Assess
    expect(value).toBe('List(urn%3Ali%3AsponsoredAccount%3A123,urn%3Ali%3AsponsoredAccount%3A456)');
  });

  it('encodes parentheses, commas and colons inside a value', () => {
    // Prepare
    const text = "a(b),c:d'!*";
    // Act
    const value = encodeRestliValue(text);
    // Assess
    expect(value).toBe('a%28b%29%2Cc%3Ad%27%21%2A');
  });
});

describe('LinkedinSourceConfig', () => {
  it('normalises account ids (number, digits, URN), drops duplicates and applies the defaults', () => {
    // Prepare
    const input = {
      id: 'linkedin_ads', type: 'linkedin', accountIds: [512345678, 'urn:li:sponsoredAccount:512345678', ' 598765432 '],
      auth: { type: 'oauth_refresh_token', secret: 'kpi/linkedin' },
    };
    // Act
    const config = LinkedinSourceConfig.parse(input);
    // Assess
    expect(config).toEqual({
      id: 'linkedin_ads', type: 'linkedin', accountIds: ['512345678', '598765432'],
      auth: { type: 'oauth_refresh_token', secret: 'kpi/linkedin' },
      lookbackDays: 7, backfillDays: 90, chunkDays: 30, pageSize: 1000, maxElementsPerRequest: 15_000,
      apiVersion: '202610', tokenUrl: 'https://www.linkedin.com/oauth/v2/accessToken',
      schedule: 'cron(0 5 * * ? *)', function: { memoryMb: 1024, timeoutSeconds: 900 }, maxDataLagDays: 1,
    });
  });

  it('explains what to write for a bad account id, a bad version and missing auth', () => {
    // Prepare
    const input = { id: 'li', type: 'linkedin', accountIds: ['urn:li:sponsoredCampaign:1'], apiVersion: '2026-10' };
    // Act
    const result = LinkedinSourceConfig.safeParse(input);
    // Assess
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((issue) => [issue.path.join('.'), issue.message]);
    expect(issues).toEqual([
      ['accountIds.0', 'write the numeric LinkedIn ad account id, e.g. "512345678" (Campaign Manager → Account name → the number), or urn:li:sponsoredAccount:512345678'],
      ['apiVersion', 'write the LinkedIn Marketing API version as YYYYMM, e.g. "202610"'],
    ]);
    const withoutAuth = LinkedinSourceConfig.safeParse({ id: 'li', type: 'linkedin', accountIds: ['1'] });
    expect(withoutAuth.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['auth', 'add auth: { type: oauth_refresh_token, secret: <secret name> } (or sandbox: {} to use the bundled sandbox)'],
    ]);
  });
});

describe('adAnalytics request planning', () => {
  it('keeps campaigns × days below the element cap', () => {
    // Prepare: (campaigns, cap)
    const cases = [[2, 15_000], [0, 15_000], [3, 10], [20_000, 15_000]] as const;
    // Act
    const days = cases.map(([campaignCount, cap]) => daysPerRequest(campaignCount, cap));
    // Assess
    expect(days).toEqual([7499, 14_999, 3, 1]);
  });

  it('reads a range again in halves when an answer reaches the cap (campaigns the search did not list)', async () => {
    // Prepare: a fake client whose account has 3 campaigns per day the search never returned; cap 4.
    const calls: string[] = [];
    const day = (date: string, campaign: number) => {
      const [year, month, dayOfMonth] = date.split('-').map(Number);
      return { pivotValues: [`urn:li:sponsoredCampaign:${campaign}`], dateRange: { start: { year, month, day: dayOfMonth } }, impressions: 1 };
    };
    const client = {
      adAccount: async () => ({ id: '1', name: 'A', currency: 'USD' }),
      campaigns: async function* () { yield []; },
      campaignGroups: async function* () { yield []; },
      analytics: async (_account: string, range: { from: string; to: string }) => {
        calls.push(`${range.from}…${range.to}`);
        const dates = range.from === range.to ? [range.from] : ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'].filter((d) => d >= range.from && d <= range.to);
        return AnalyticsResponse.parse({ elements: dates.flatMap((d) => [day(d, 11), day(d, 12), day(d, 13)]).slice(0, 4) });
      },
    } as unknown as LinkedinClient;
    const config = LinkedinSourceConfig.parse({ id: 'li', type: 'linkedin', accountIds: ['1'], sandbox: {}, maxElementsPerRequest: 4, chunkDays: 4 });

    // Act
    const events: StreamEvent[] = [];
    for await (const event of readCampaignDaily(client, config, { window: { from: '2026-11-01', to: '2026-11-04' }, log: silentLogger })) events.push(event);

    // Assess: 0 campaigns known → 3 days per request → 11-01…11-03 is full → halves → single days.
    expect(calls).toEqual([
      '2026-11-01…2026-11-03', '2026-11-01…2026-11-02', '2026-11-01…2026-11-01', '2026-11-02…2026-11-02', '2026-11-03…2026-11-03', '2026-11-04…2026-11-04',
    ]);
    const rows = events.flatMap((e) => (e.kind === 'rows' ? e.rows : []));
    expect(rows.map((r) => `${String(r.date)}/${String(r.campaign_id)}`)).toEqual([
      '2026-11-01/11', '2026-11-01/12', '2026-11-01/13', '2026-11-02/11', '2026-11-02/12', '2026-11-02/13',
      '2026-11-03/11', '2026-11-03/12', '2026-11-03/13', '2026-11-04/11', '2026-11-04/12', '2026-11-04/13',
    ]);
    expect(events.at(-1)).toEqual({ kind: 'checkpoint', through: '2026-11-04', covers: { from: '2026-11-01', to: '2026-11-04' } });
  });
});
