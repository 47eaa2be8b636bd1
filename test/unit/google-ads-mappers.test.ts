import { describe, expect, it } from 'vitest';
import { GoogleAdsSourceConfig } from '../../connectors/google-ads/config.ts';
import { microsToUnits, toCampaignDailyRow, type RowContext } from '../../connectors/google-ads/mappers.ts';
import {
  errorCodeName, findRpcStatus, gaqlQuery, googleAdsErrors, parseDuration, SearchStreamResponse,
} from '../../connectors/google-ads/report.ts';
import { adsGoogleCampaignDaily } from '../../connectors/google-ads/streams.ts';

const syncedAt = new Date('2026-11-02T01:02:03Z');
const context: RowContext = { sourceId: 'google', customerId: '1234567890', syncedAt };

/** A row as searchStream sends it (lowerCamelCase, int64 as strings, doubles as numbers). */
const wireRow = {
  customer: {
    resourceName: 'customers/1234567890', id: '1234567890', descriptiveName: 'Shop KR – Search',
    currencyCode: 'KRW', timeZone: 'Asia/Seoul',
  },
  campaign: { resourceName: 'customers/1234567890/campaigns/20481000001', id: '20481000001', name: 'brand_search', status: 'ENABLED' },
  metrics: { impressions: '5011', clicks: '257', costMicros: '110327000000', conversions: 6.5, conversionsValue: 377000 },
  segments: { date: '2026-11-01' },
};

/** The mapper takes rows as sent: it checks each field itself. */
function parseRow(value: unknown): unknown {
  return value;
}

describe('Google Ads campaign daily mapper', () => {
  it('maps a searchStream row to a table row, int64 strings as numbers and cost micros as money', () => {
    // Act
    const row = toCampaignDailyRow(parseRow(wireRow), context);

    // Assess
    expect(row).toEqual({
      date: '2026-11-01',
      account_id: '1234567890',
      account_name: 'Shop KR – Search',
      campaign_id: '20481000001',
      campaign_name: 'brand_search',
      campaign_status: 'ENABLED',
      impressions: 5011,
      clicks: 257,
      spend: 110327,
      conversions: 6.5,
      conversions_value: 377000,
      currency: 'KRW',
      time_zone: 'Asia/Seoul',
      source_id: 'google',
      synced_at: syncedAt,
      cost_micros: 110327000000n,
    });
    expect(Object.keys(row)).toEqual(adsGoogleCampaignDaily.table.columns.map((c) => c.name));
  });

  it('reads metrics Google left out (proto3 defaults) as zero and a missing customer id as the queried one', () => {
    // Prepare
    const sparse = {
      customer: { currencyCode: 'USD', timeZone: 'America/New_York' },
      campaign: { id: '77' },
      metrics: { impressions: '12' },
      segments: { date: '2026-11-01' },
    };

    // Act
    const row = toCampaignDailyRow(parseRow(sparse), context);

    // Assess
    expect(row).toMatchObject({
      account_id: '1234567890', account_name: null, campaign_id: '77', campaign_name: null, campaign_status: null,
      impressions: 12, clicks: 0, spend: 0, conversions: 0, conversions_value: 0, cost_micros: 0n,
      currency: 'USD', time_zone: 'America/New_York',
    });
  });

  it('keeps sub-unit cost, numeric strings for doubles, plain numbers for int64 and very large micros exact', () => {
    // Prepare
    const odd = {
      ...wireRow,
      metrics: { impressions: 40000, clicks: '0', costMicros: '9007199254740993123', conversions: '0.333333', conversionsValue: '1.5e3' },
    };
    const cents = { ...wireRow, customer: { ...wireRow.customer, currencyCode: 'USD' }, metrics: { costMicros: '1230000' } };

    // Act
    const big = toCampaignDailyRow(parseRow(odd), context);
    const small = toCampaignDailyRow(parseRow(cents), context);

    // Assess
    expect(big).toMatchObject({ impressions: 40000, clicks: 0, conversions: 0.333333, conversions_value: 1500, cost_micros: 9007199254740993123n });
    expect(big.spend).toBe(9007199254740.993);
    expect(small).toMatchObject({ spend: 1.23, cost_micros: 1230000n, currency: 'USD' });
    expect(microsToUnits(-2_500_000n)).toBe(-2.5);
  });

  it('refuses rows without the fields the key and the not-null columns need', () => {
    // Prepare
    const withoutDate = { ...wireRow, segments: {} };
    const withoutCampaign = { ...wireRow, campaign: { name: 'x' } };
    const withoutCurrency = { ...wireRow, customer: { id: '1234567890', timeZone: 'Asia/Seoul' } };
    const badDate = { ...wireRow, segments: { date: '20261101' } };

    // Act + Assess
    expect(() => toCampaignDailyRow(parseRow(withoutDate), context)).toThrow('Google Ads row has no segments.date');
    expect(() => toCampaignDailyRow(parseRow(withoutCampaign), context)).toThrow('Google Ads row has no campaign.id');
    expect(() => toCampaignDailyRow(parseRow(withoutCurrency), context)).toThrow('Google Ads row has no customer.currencyCode');
    expect(() => toCampaignDailyRow(parseRow(badDate), context)).toThrow('Google Ads segments.date is not a YYYY-MM-DD date: "20261101"');
  });

  it.each([
    ['an int64 that is not whole', { ...wireRow, metrics: { clicks: '12.5' } }, 'metrics.clicks', 'Google Ads metrics.clicks is not an int64: "12.5"'],
    ['a double that is text', { ...wireRow, metrics: { conversions: 'n/a' } }, 'metrics.conversions', 'Google Ads metrics.conversions is not a finite number: "n/a"'],
    ['a name that is not a string', { ...wireRow, campaign: { ...wireRow.campaign, name: { text: 'x' } } }, 'campaign.name', 'Google Ads campaign.name is not a string: {"text":"x"}'],
    ['a message that is not an object', { ...wireRow, customer: 'Shop' }, 'customer', 'Google Ads customer is not an object: "Shop"'],
    ['an id that is not an int64', { ...wireRow, campaign: { ...wireRow.campaign, id: 'c-1' } }, 'campaign.id', 'Google Ads campaign.id is not an int64: "c-1"'],
    ['a row that is not an object', ['a'], undefined, 'Google Ads row is not an object: ["a"]'],
  ])('rejects %s with a RecordError naming the field', (_name, raw, field, message) => {
    // Act
    const act = () => toCampaignDailyRow(raw, context);

    // Assess
    expect(act).toThrow(message);
    expect(act).toThrow(expect.objectContaining({ name: 'RecordError', field }));
  });
});

describe('Google Ads searchStream wire format', () => {
  it('parses batches, an empty stream and a batch without results as rows or none', () => {
    // Prepare
    const twoBatches = [
      { results: [wireRow], fieldMask: 'campaign.id', requestId: 'a' },
      { results: [wireRow, wireRow], fieldMask: 'campaign.id', requestId: 'a', queryResourceConsumption: '12' },
    ];

    // Act
    const batches = SearchStreamResponse.parse(twoBatches);
    const empty = SearchStreamResponse.parse([]);
    const noResults = SearchStreamResponse.parse([{ fieldMask: 'campaign.id', requestId: 'b', queryResourceConsumption: '1' }]);

    // Assess
    expect(batches.map((b) => b.results.length)).toEqual([1, 2]);
    expect(empty).toEqual([]);
    expect(noResults).toEqual([{ results: [], fieldMask: 'campaign.id', requestId: 'b', queryResourceConsumption: '1' }]);
  });

  it('finds Google Ads errors in a stream array and in a plain status, with the quota retry delay', () => {
    // Prepare
    const failure = {
      '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
      errors: [{
        errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' }, message: 'Too many requests.',
        details: { quotaErrorDetails: { rateScope: 'ACCOUNT', retryDelay: '0.500s' } },
      }],
      requestId: 'req-1',
    };
    const inStream = [{ results: [] }, { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED', details: [failure] } }];
    const plain = { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } };

    // Act
    const streamStatus = findRpcStatus(inStream);
    const plainStatus = findRpcStatus(plain);
    const { errors, requestId } = googleAdsErrors(streamStatus!);

    // Assess
    expect(streamStatus?.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    expect(errors.map(errorCodeName)).toEqual(['quotaError.RESOURCE_TEMPORARILY_EXHAUSTED']);
    expect(requestId).toBe('req-1');
    expect(parseDuration(errors[0]!.details?.quotaErrorDetails?.retryDelay)).toBe(500);
    expect(plainStatus?.error.code).toBe(404);
    expect(googleAdsErrors(plainStatus!)).toEqual({ errors: [], requestId: undefined });
    expect(findRpcStatus([{ results: [] }])).toBeUndefined();
    expect([parseDuration('30s'), parseDuration('1.25s'), parseDuration('soon'), parseDuration(undefined)]).toEqual([30000, 1250, undefined, undefined]);
  });

  it('writes the campaign daily GAQL with the stream fields and a date range', () => {
    // Act
    const query = gaqlQuery({ fields: adsGoogleCampaignDaily.fields, resource: adsGoogleCampaignDaily.resource, from: '2026-11-01', to: '2026-11-30' });

    // Assess
    expect(query).toBe(
      'SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone, campaign.id, campaign.name, ' +
      'campaign.status, segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, ' +
      "metrics.conversions_value FROM campaign WHERE segments.date BETWEEN '2026-11-01' AND '2026-11-30'",
    );
    expect(() => gaqlQuery({ fields: ['campaign.id'], resource: 'campaign', from: "2026-11-01' OR '1", to: '2026-11-30' })).toThrow(TypeError);
  });
});

describe('Google Ads source config', () => {
  it('normalises customer ids written with dashes and fills the defaults', () => {
    // Act
    const config = GoogleAdsSourceConfig.parse({
      id: 'google', type: 'google_ads', customerIds: ['123-456-7890', '9876543210'], loginCustomerId: '111-222-3333',
      auth: { type: 'oauth_refresh_token', secret: 'kpi/google-ads' },
    });

    // Assess
    expect(config).toMatchObject({
      customerIds: ['1234567890', '9876543210'], loginCustomerId: '1112223333',
      lookbackDays: 14, backfillDays: 90, chunkDays: 30, apiVersion: 'v26',
    });
  });

  it('names what to write for a bad customer id, a repeated one and missing auth', () => {
    // Act
    const bad = GoogleAdsSourceConfig.safeParse({ id: 'google', type: 'google_ads', customerIds: ['123-456'], sandbox: {} });
    const repeated = GoogleAdsSourceConfig.safeParse({ id: 'google', type: 'google_ads', customerIds: ['1234567890', '123-456-7890'], sandbox: {} });
    const noAuth = GoogleAdsSourceConfig.safeParse({ id: 'google', type: 'google_ads', customerIds: ['1234567890'] });

    // Assess
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['customerIds.0', 'write a 10-digit Google Ads customer id, e.g. "123-456-7890" (top right of the Google Ads UI)'],
    ]);
    expect(repeated.error?.issues.map((i) => i.message)).toEqual(['each customer id may appear only once in customerIds']);
    expect(noAuth.error?.issues.map((i) => i.path.join('.'))).toEqual(['auth']);
  });
});
