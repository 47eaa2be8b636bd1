import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../core/connector.ts';
import { silentLogger } from '../../core/log.ts';
import { AdCampaign, AdCampaignGroup, AnalyticsElement, AnalyticsResponse } from '../../connectors/linkedin/api.ts';
import type { LinkedinClient } from '../../connectors/linkedin/client.ts';
import { LinkedinSourceConfig } from '../../connectors/linkedin/config.ts';
import { idFromUrn, toCampaignDailyRow, toInteger, toIsoDate, toNumber, type CampaignRowContext } from '../../connectors/linkedin/mappers.ts';
import { daysPerRequest, readCampaignDaily } from '../../connectors/linkedin/read-analytics.ts';
import { encodeRestliValue, restliDateRange, restliList } from '../../connectors/linkedin/restli.ts';

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

function element(json: string): AnalyticsElement {
  return AnalyticsElement.parse(JSON.parse(json));
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
  ])('throws a TypeError on %s', (_name, date, message) => {
    // Prepare: the date above
    // Act
    const act = () => toIsoDate(date);
    // Assess
    expect(act).toThrow(TypeError);
    expect(act).toThrow(message);
  });
});

describe('idFromUrn', () => {
  it('takes the id from a URN of the expected type', () => {
    // Prepare
    const urn = 'urn:li:sponsoredCampaign:781230001';
    // Act
    const id = idFromUrn(urn, 'sponsoredCampaign');
    // Assess
    expect(id).toBe('781230001');
  });

  it('throws a TypeError on a URN of another type', () => {
    // Prepare
    const urn = 'urn:li:sponsoredCreative:781230001';
    // Act
    const act = () => idFromUrn(urn, 'sponsoredCampaign');
    // Assess
    expect(act).toThrow(new TypeError('not a sponsoredCampaign URN: "urn:li:sponsoredCreative:781230001"'));
  });
});

describe('toNumber and toInteger', () => {
  it('parse BigDecimal strings and numbers, and count missing as zero', () => {
    // Prepare
    const values = ['103.65830779556263', '0', 12, 2.5, null, undefined, ''] as const;
    // Act
    const numbers = values.map(toNumber);
    const integers = values.map(toInteger);
    // Assess
    expect(numbers).toEqual([103.65830779556263, 0, 12, 2.5, 0, 0, 0]);
    expect(integers).toEqual([104, 0, 12, 3, 0, 0, 0]);
  });

  it("throws a TypeError on a value that is not a number ('12,34')", () => {
    // Prepare
    const value = '12,34';
    // Act
    const act = () => toNumber(value);
    // Assess
    expect(act).toThrow(new TypeError('LinkedIn metric is not a number: "12,34"'));
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

  it('throws a TypeError when pivotValues is missing (fields did not ask for it)', () => {
    // Prepare
    const raw = element('{ "impressions": 5, "clicks": 1 }');
    // Act
    const act = () => toCampaignDailyRow(raw, context);
    // Assess
    expect(act).toThrow(new TypeError('not a sponsoredCampaign URN: undefined'));
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
