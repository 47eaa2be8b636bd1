import { afterEach, describe, expect, it } from 'vitest';
import { addDays, eachDay } from '../../core/dates.ts';
import { SourceError } from '../../core/errors.ts';
import { silentLogger } from '../../core/log.ts';
import { accessTokenCredentials, GoogleAdsClient } from '../../connectors/google-ads/client.ts';
import { gaqlQuery } from '../../connectors/google-ads/report.ts';
import { campaignFactsFor, plantedDipRange, sandboxCustomers, type CampaignDayFact } from '../../connectors/google-ads/sandbox/seed-data.ts';
import { startGoogleAdsSandbox, type GoogleAdsSandboxOptions, type RunningGoogleAdsSandbox } from '../../connectors/google-ads/sandbox/server.ts';
import { adsGoogleCampaignDaily } from '../../connectors/google-ads/streams.ts';

const anchorDate = '2026-11-20';
const token = 'sandbox-wire-token';
const sandboxes: RunningGoogleAdsSandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

async function sandbox(options: GoogleAdsSandboxOptions = {}): Promise<RunningGoogleAdsSandbox> {
  const started = await startGoogleAdsSandbox({ anchorDate, seed: 42, accessToken: token, ...options });
  sandboxes.push(started);
  return started;
}

const campaignQuery = (from: string, to: string) => gaqlQuery({ fields: adsGoogleCampaignDaily.fields, resource: 'campaign', from, to });

async function searchStream(
  running: RunningGoogleAdsSandbox, customerId: string, query: string,
  headers: Record<string, string> = { Authorization: `Bearer ${token}` }, version = 'v26',
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${running.url}${version}/customers/${customerId}/googleAds:searchStream`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json() };
}

function client(running: RunningGoogleAdsSandbox, options: { loginCustomerId?: string; developerToken?: string; apiVersion?: string } = {}): GoogleAdsClient {
  return new GoogleAdsClient({
    sourceId: 'google', credentials: accessTokenCredentials(token, options.developerToken), rootUrl: running.url,
    apiVersion: options.apiVersion ?? 'v26', log: silentLogger,
    retryPolicy: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxTotalWaitMs: 1 },
    ...(options.loginCustomerId ? { loginCustomerId: options.loginCustomerId } : {}),
  });
}

async function collect(running: GoogleAdsClient, customerId: string, query: string): Promise<unknown[]> {
  const batches: unknown[] = [];
  for await (const batch of running.searchStream(customerId, query, 'test')) batches.push(batch);
  return batches;
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe('Google Ads sandbox wire format', () => {
  it('answers searchStream with an array of batches of lowerCamelCase rows, int64 as strings', async () => {
    // Prepare
    const running = await sandbox({ rowsPerBatch: 1 });
    const [brand, generic] = campaignFactsFor('2026-11-19', { seed: 42, anchorDate }).filter((f) => f.customerId === '1234567890');

    // Act
    const { status, body } = await searchStream(running, '1234567890', campaignQuery('2026-11-19', '2026-11-19'));

    // Assess
    expect(status).toBe(200);
    const batches = body as Array<Record<string, unknown>>;
    expect(batches).toHaveLength(2);
    const fieldMask = 'customer.id,customer.descriptiveName,customer.currencyCode,customer.timeZone,campaign.id,campaign.name,' +
      'campaign.status,segments.date,metrics.impressions,metrics.clicks,metrics.costMicros,metrics.conversions,metrics.conversionsValue';
    const row = (fact: typeof brand) => ({
      customer: { resourceName: 'customers/1234567890', id: '1234567890', descriptiveName: 'Shop KR – Search', currencyCode: 'KRW', timeZone: 'Asia/Seoul' },
      campaign: { resourceName: `customers/1234567890/campaigns/${fact!.campaignId}`, id: fact!.campaignId, name: fact!.campaignName, status: 'ENABLED' },
      segments: { date: '2026-11-19' },
      metrics: {
        impressions: String(fact!.impressions), clicks: String(fact!.clicks), costMicros: String(fact!.costMicros),
        conversions: fact!.conversions, conversionsValue: fact!.conversionsValue,
      },
    });
    expect(batches[0]).toEqual({ results: [row(brand)], fieldMask, requestId: expect.stringMatching(/^[\w-]{22}$/) });
    expect(batches[1]).toEqual({ results: [row(generic)], fieldMask, requestId: batches[0]!.requestId, queryResourceConsumption: expect.stringMatching(/^\d+$/) });
    expect([brand!.campaignName, generic!.campaignName]).toEqual(['brand_search', 'generic_search']);
  });

  it('answers a range with no data with one batch without results, which the client reads as no rows', async () => {
    // Prepare
    const running = await sandbox();
    const query = campaignQuery('2026-12-01', '2026-12-07');

    // Act
    const { body } = await searchStream(running, '9876543210', query);
    const batches = await collect(client(running), '9876543210', query);

    // Assess
    expect(body).toEqual([{ fieldMask: expect.any(String), requestId: expect.any(String), queryResourceConsumption: '1' }]);
    expect(batches).toEqual([expect.objectContaining({ results: [] })]);
  });

  it('sums the campaigns of an account FROM customer', async () => {
    // Prepare
    const running = await sandbox();
    const facts = campaignFactsFor('2026-11-18', { seed: 42, anchorDate }).filter((f) => f.customerId === '1234567890');

    // Act
    const { body } = await searchStream(running, '1234567890', "SELECT customer.id, metrics.clicks, metrics.cost_micros FROM customer WHERE segments.date BETWEEN '2026-11-18' AND '2026-11-18'");

    // Assess
    expect((body as Array<{ results: unknown[] }>)[0]!.results).toEqual([{
      customer: { resourceName: 'customers/1234567890', id: '1234567890' },
      metrics: { clicks: String(facts[0]!.clicks + facts[1]!.clicks), costMicros: String(facts[0]!.costMicros + facts[1]!.costMicros) },
    }]);
  });

  it.each([
    ['FROM campaign', 'EXPECTED_SELECT'],
    ['SELECT campaign.id', 'EXPECTED_FROM'],
    ["SELECT campaign.budget_thing FROM campaign WHERE segments.date BETWEEN '2026-11-01' AND '2026-11-02'", 'UNRECOGNIZED_FIELD'],
    ["SELECT campaign.id FROM campaigns WHERE segments.date BETWEEN '2026-11-01' AND '2026-11-02'", 'BAD_RESOURCE_TYPE_IN_FROM_CLAUSE'],
    ['SELECT campaign.id, segments.date FROM campaign', 'EXPECTED_FILTERS_ON_DATE_RANGE'],
    ["SELECT campaign.id FROM campaign WHERE segments.date BETWEEN '2026-11-01' AND 'tomorrow'", 'INVALID_VALUE_WITH_BETWEEN_OPERATOR'],
    ["SELECT campaign.id FROM campaign WHERE segments.date BETWEEN '2026-11-02' AND '2026-11-01'", 'DATE_RANGE_TOO_NARROW'],
    ["SELECT campaign.id FROM customer WHERE segments.date BETWEEN '2026-11-01' AND '2026-11-02'", 'PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE'],
  ])('answers GAQL it cannot parse (%s) with 400 queryError.%s inside the stream', async (query, reason) => {
    // Prepare
    const running = await sandbox();

    // Act
    const { status, body } = await searchStream(running, '1234567890', query);

    // Assess
    expect(status).toBe(400);
    expect(body).toEqual([{
      error: {
        code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT',
        details: [{
          '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
          errors: [{ errorCode: { queryError: reason }, message: expect.any(String) }],
          requestId: expect.any(String),
        }],
      },
    }]);
  });

  it('answers 401 for a wrong or missing token, 403 for a customer out of reach, 404 for a sunset version', async () => {
    // Prepare
    const running = await sandbox();
    const query = campaignQuery('2026-11-01', '2026-11-02');

    // Act
    const wrong = await searchStream(running, '1234567890', query, { Authorization: 'Bearer nope' });
    const missing = await searchStream(running, '1234567890', query, {});
    const unknown = await searchStream(running, '5555555555', query);
    const otherManager = await searchStream(running, '1234567890', query, { Authorization: `Bearer ${token}`, 'login-customer-id': '4444444444' });
    const viaManager = await searchStream(running, '1234567890', query, { Authorization: `Bearer ${token}`, 'login-customer-id': running.managerCustomerId });
    const sunset = await searchStream(running, '1234567890', query, undefined, 'v22');

    // Assess
    const codeOf = (body: unknown) => (body as Array<{ error: { status: string; details: Array<{ errors: Array<{ errorCode: unknown }> }> } }>)[0]!.error;
    expect([wrong.status, codeOf(wrong.body).status, codeOf(wrong.body).details[0]!.errors[0]!.errorCode]).toEqual([401, 'UNAUTHENTICATED', { authenticationError: 'OAUTH_TOKEN_INVALID' }]);
    expect([missing.status, codeOf(missing.body).details[0]!.errors[0]!.errorCode]).toEqual([401, { authenticationError: 'OAUTH_TOKEN_HEADER_INVALID' }]);
    expect([unknown.status, codeOf(unknown.body).status, codeOf(unknown.body).details[0]!.errors[0]!.errorCode]).toEqual([403, 'PERMISSION_DENIED', { authorizationError: 'USER_PERMISSION_DENIED' }]);
    expect([otherManager.status, codeOf(otherManager.body).details[0]!.errors[0]!.errorCode]).toEqual([403, { authorizationError: 'USER_PERMISSION_DENIED' }]);
    expect(viaManager.status).toBe(200);
    expect(sunset).toEqual({ status: 404, body: { error: { code: 404, status: 'NOT_FOUND', message: expect.stringContaining('v22 is not available') } } });
  });

  it('answers 429 RESOURCE_TEMPORARILY_EXHAUSTED with a retryDelay on every Nth authenticated request', async () => {
    // Prepare
    const running = await sandbox({ throttle: { everyNthRequest: 2, retryDelaySeconds: 0.25 } });
    const query = campaignQuery('2026-11-01', '2026-11-02');

    // Act
    const first = await searchStream(running, '1234567890', query);
    const second = await searchStream(running, '1234567890', query);

    // Assess
    expect(first.status).toBe(200);
    expect(second).toEqual({
      status: 429,
      body: [{
        error: {
          code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED',
          details: [{
            '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
            errors: [{
              errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' }, message: expect.stringContaining('Retry in 0.25 seconds'),
              details: { quotaErrorDetails: { rateScope: 'ACCOUNT', rateName: 'Requests per account', retryDelay: '0.250s' } },
            }],
            requestId: expect.any(String),
          }],
        },
      }],
    });
  });
});

describe('Google Ads client against the sandbox', () => {
  it('sends the query as JSON with login-customer-id, and developer-token only when there is one', async () => {
    // Prepare
    const running = await sandbox();
    const query = campaignQuery('2026-11-19', '2026-11-19');

    // Act
    await collect(client(running, { loginCustomerId: running.managerCustomerId, developerToken: 'legacy-dev-token' }), '9876543210', query);
    await collect(client(running), '9876543210', query);

    // Assess
    expect(running.requests()).toEqual([
      { method: 'POST', path: '/v26/customers/9876543210/googleAds:searchStream', status: 200, customerId: '9876543210', query,
        developerToken: 'legacy-dev-token', loginCustomerId: running.managerCustomerId, contentType: 'application/json' },
      { method: 'POST', path: '/v26/customers/9876543210/googleAds:searchStream', status: 200, customerId: '9876543210', query, contentType: 'application/json' },
    ]);
  });

  it('fails fast on a query Google cannot parse, naming the query error and the customer', async () => {
    // Prepare
    const running = await sandbox();
    const google = new GoogleAdsClient({ sourceId: 'google', credentials: accessTokenCredentials(token), rootUrl: running.url, apiVersion: 'v26', log: silentLogger });

    // Act
    const error = await failure(collect(google, '1234567890', 'SELECT campaign.nope FROM campaign'));

    // Assess
    expect(error.message).toMatch(/^Google Ads rejected the searchStream request for customer 1234567890 \(HTTP 400 INVALID_ARGUMENT, queryError\.UNRECOGNIZED_FIELD: Unrecognized field in the query: 'campaign\.nope'\., request id [\w-]+\)/);
    expect(error).toMatchObject({ retryable: false, context: { source: 'google', stream: 'test', status: 400, errorCode: 'queryError.UNRECOGNIZED_FIELD' } });
    expect(running.requestCount()).toBe(1);
  });

  it('explains a Cloud project with test access only, in the v25+ and the older wording', async () => {
    // Prepare
    const running = await sandbox({ cloudProjectAccess: 'test_accounts' });
    const query = campaignQuery('2026-11-19', '2026-11-19');

    // Act
    const current = await failure(collect(client(running), '1234567890', query));
    const older = await failure(collect(client(running, { apiVersion: 'v24' }), '1234567890', query));

    // Assess
    expect(current.message).toMatch(/^Google Ads denied access to customer 1234567890 \(HTTP 403 PERMISSION_DENIED, authorizationError\.CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION: /);
    expect(current.message).toContain('Cloud project has an API access level for production accounts');
    expect(older.context.errorCode).toBe('authorizationError.ACTION_NOT_PERMITTED');
    expect([current.retryable, older.retryable]).toEqual([false, false]);
  });

  it('serves the shop campaigns under their exact names', () => {
    // Act
    const names = sandboxCustomers.flatMap((c) => c.campaigns.map((campaign) => campaign.name));

    // Assess
    expect(names).toEqual(['brand_search', 'generic_search', 'display_prospecting']);
  });
});

describe('Google Ads sandbox seed data', () => {
  const options = { seed: 42, anchorDate };
  const perCampaign = (facts: readonly CampaignDayFact[], name: string) => facts.filter((f) => f.campaignName === name);
  const sum = (facts: readonly CampaignDayFact[], pick: (f: CampaignDayFact) => number) => facts.reduce((total, f) => total + pick(f), 0);

  it('tells a plausible KRW story: spend, CTR and conversions per campaign', () => {
    // Prepare: eight weeks before the planted dip.
    const dip = plantedDipRange(anchorDate);
    const days = [...eachDay(addDays(dip.from, -56), addDays(dip.from, -1))];

    // Act
    const facts = days.flatMap((day) => campaignFactsFor(day, options));

    // Assess
    const daily = (name: string, pick: (f: CampaignDayFact) => number) => sum(perCampaign(facts, name), pick) / days.length;
    const ctr = (name: string) => sum(perCampaign(facts, name), (f) => f.clicks) / sum(perCampaign(facts, name), (f) => f.impressions);
    expect(daily('brand_search', (f) => f.costMicros / 1e6)).toBeGreaterThan(95_000);
    expect(daily('brand_search', (f) => f.costMicros / 1e6)).toBeLessThan(125_000);
    expect(daily('generic_search', (f) => f.costMicros / 1e6)).toBeGreaterThan(300_000);
    expect(daily('generic_search', (f) => f.costMicros / 1e6)).toBeLessThan(400_000);
    expect(daily('display_prospecting', (f) => f.costMicros / 1e6)).toBeGreaterThan(170_000);
    expect(daily('display_prospecting', (f) => f.costMicros / 1e6)).toBeLessThan(230_000);
    expect(ctr('brand_search')).toBeCloseTo(0.055, 2);
    expect(ctr('generic_search')).toBeCloseTo(0.045, 2);
    expect(ctr('display_prospecting')).toBeCloseTo(0.005, 3);
    const searchConversions = daily('brand_search', (f) => f.conversions) + daily('generic_search', (f) => f.conversions);
    expect(searchConversions).toBeGreaterThan(8);
    expect(searchConversions).toBeLessThan(13);
    const value = sum(facts, (f) => f.conversionsValue) / sum(facts, (f) => f.conversions);
    expect(value).toBeGreaterThan(54_000);
    expect(value).toBeLessThan(62_000);
    for (const fact of facts) {
      expect(Number.isInteger(fact.costMicros / 1_000_000) && Number.isInteger(fact.conversions * 2), `${fact.date} ${fact.campaignName}`).toBe(true);
      expect(fact.clicks).toBeLessThanOrEqual(fact.impressions);
    }
  });

  it('cuts conversions, not clicks, inside the planted dip and is a pure function of seed and date', () => {
    // Prepare
    const dip = plantedDipRange(anchorDate);
    const before = [...eachDay(addDays(dip.from, -14), addDays(dip.from, -1))].flatMap((day) => campaignFactsFor(day, options));
    const inside = [...eachDay(dip.from, addDays(dip.from, 13))].flatMap((day) => campaignFactsFor(day, options));

    // Act
    const conversionRate = (facts: readonly CampaignDayFact[]) => sum(facts, (f) => f.conversions) / sum(facts, (f) => f.clicks);
    const clicksRatio = sum(inside, (f) => f.clicks) / sum(before, (f) => f.clicks);

    // Assess
    expect(conversionRate(inside) / conversionRate(before)).toBeLessThan(0.7);
    expect(clicksRatio).toBeGreaterThan(0.9);
    expect(clicksRatio).toBeLessThan(1.1);
    expect(campaignFactsFor('2026-11-02', options)).toEqual(campaignFactsFor('2026-11-02', { ...options }));
    expect(campaignFactsFor(addDays(anchorDate, 1), options)).toEqual([]);
  });
});
