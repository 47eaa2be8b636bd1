import { afterEach, describe, expect, it } from 'vitest';
import { campaignFactsFor, defaultLinkedinSandboxAccount } from '../../connectors/linkedin/sandbox/seed-data.ts';
import { parseRestliValue, startLinkedinSandbox, type LinkedinSandboxOptions, type RunningLinkedinSandbox } from '../../connectors/linkedin/sandbox/server.ts';
import { plantedDipRange } from '../../connectors/sandbox-kit/shop-story.ts';
import { eachDay } from '../../core/dates.ts';

const anchorDate = '2026-11-20';
const account = 'urn%3Ali%3AsponsoredAccount%3A512345678';
const sandboxes: RunningLinkedinSandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

async function sandbox(options: LinkedinSandboxOptions = {}): Promise<RunningLinkedinSandbox> {
  const started = await startLinkedinSandbox({ anchorDate, accessToken: 'sandbox-token', ...options });
  sandboxes.push(started);
  return started;
}

const headers = { Authorization: 'Bearer sandbox-token', 'LinkedIn-Version': '202610', 'X-Restli-Protocol-Version': '2.0.0' };

async function get(running: RunningLinkedinSandbox, pathAndQuery: string, requestHeaders: Record<string, string> = headers) {
  const response = await fetch(running.url + pathAndQuery, { headers: requestHeaders });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as Record<string, unknown> };
}

function analyticsQuery(dateRange: string, accounts = `List(${account})`, fields = 'dateRange,pivotValues,impressions,clicks,costInLocalCurrency,externalWebsiteConversions,conversionValueInLocalCurrency'): string {
  return `rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange=${dateRange}&accounts=${accounts}&fields=${fields}`;
}

describe('LinkedIn sandbox wire format', () => {
  it('answers adAnalytics per campaign and UTC day with money as strings, exactly the seed facts', async () => {
    // Prepare
    const running = await sandbox();

    // Act
    const { status, body } = await get(running, analyticsQuery('(start:(year:2026,month:11,day:17),end:(year:2026,month:11,day:17))'));

    // Assess
    const facts = campaignFactsFor('2026-11-17', [defaultLinkedinSandboxAccount()], { seed: 42, anchorDate });
    expect(status).toBe(200);
    expect(body).toEqual({
      paging: { start: 0, count: 10, links: [] },
      elements: facts.map((f) => ({
        dateRange: { start: { year: 2026, month: 11, day: 17 }, end: { year: 2026, month: 11, day: 17 } },
        pivotValues: [`urn:li:sponsoredCampaign:${f.campaignId}`],
        impressions: f.impressions, clicks: f.clicks, costInLocalCurrency: String(f.spend),
        externalWebsiteConversions: f.conversions, conversionValueInLocalCurrency: String(f.conversionValue),
      })),
    });
    expect(facts.map((f) => f.campaignId)).toEqual(['781230001', '781230002']);
  });

  it('tells the shop story: ~US$180 a day, CTR ~0.5%, a few conversions a day, fewer inside the planted dip', () => {
    // Prepare: four weeks before the dip, and the dip.
    const options = { seed: 42, anchorDate };
    const dip = plantedDipRange(anchorDate);
    const sum = (from: string, to: string) => {
      const facts = [...eachDay(from, to)].flatMap((d) => campaignFactsFor(d, [defaultLinkedinSandboxAccount()], options));
      const days = [...eachDay(from, to)].length;
      return {
        spendPerDay: facts.reduce((s, f) => s + f.spend, 0) / days,
        ctr: facts.reduce((s, f) => s + f.clicks, 0) / facts.reduce((s, f) => s + f.impressions, 0),
        conversionsPerClick: facts.reduce((s, f) => s + f.conversions, 0) / facts.reduce((s, f) => s + f.clicks, 0),
        conversionsPerDay: facts.reduce((s, f) => s + f.conversions, 0) / days,
      };
    };

    // Act
    const before = sum('2026-10-12', '2026-11-08');
    const during = sum(dip.from, dip.to);

    // Assess
    expect(dip).toEqual({ from: '2026-11-09', to: anchorDate });
    expect(before.spendPerDay).toBeGreaterThan(150);
    expect(before.spendPerDay).toBeLessThan(185);
    expect(before.ctr).toBeGreaterThan(0.0045);
    expect(before.ctr).toBeLessThan(0.0055);
    expect(before.conversionsPerDay).toBeGreaterThan(2);
    expect(before.conversionsPerDay).toBeLessThan(6);
    expect(during.conversionsPerClick).toBeLessThan(before.conversionsPerClick * 0.75);
  });

  it('returns only impressions and clicks when fields is not given, and nothing for an account it cannot read', async () => {
    // Prepare
    const running = await sandbox();
    const range = '(start:(year:2026,month:11,day:17),end:(year:2026,month:11,day:17))';

    // Act
    const plain = await get(running, `rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange=${range}&accounts=List(${account})`);
    const other = await get(running, analyticsQuery(range, 'List(urn%3Ali%3AsponsoredAccount%3A1)'));

    // Assess
    expect((plain.body.elements as object[]).map((e) => Object.keys(e))).toEqual([['impressions', 'clicks'], ['impressions', 'clicks']]);
    expect(other).toMatchObject({ status: 200, body: { elements: [] } });
  });

  it('drops elements past its cap without an error, as adAnalytics does', async () => {
    // Prepare
    const running = await sandbox({ maxAnalyticsElements: 3 });

    // Act
    const { status, body } = await get(running, analyticsQuery('(start:(year:2026,month:11,day:1),end:(year:2026,month:11,day:10))'));

    // Assess
    expect(status).toBe(200);
    expect((body.elements as object[]).length).toBe(3);
  });

  it.each([
    ['a raw URN in List()', analyticsQuery('(start:(year:2026,month:11,day:1))', 'List(urn:li:sponsoredAccount:512345678)')],
    ['an unbalanced dateRange', analyticsQuery('(start:(year:2026,month:11,day:1)')],
    ['a repeated parameter', `${analyticsQuery('(start:(year:2026,month:11,day:1))')}&pivot=CAMPAIGN`],
  ])('rejects %s with LinkedIn\'s 400 "Invalid query parameters passed to request"', async (_name, query) => {
    // Prepare
    const running = await sandbox();
    // Act
    const response = await get(running, query);
    // Assess
    expect(response).toMatchObject({ status: 400, body: { status: 400, code: 'ILLEGAL_ARGUMENT', message: 'Invalid query parameters passed to request' } });
  });

  it('rejects an impossible date, a start after the end and an encoded record, naming the field', async () => {
    // Prepare
    const running = await sandbox();

    // Act
    const month13 = await get(running, analyticsQuery('(start:(year:2026,month:13,day:1))'));
    const backwards = await get(running, analyticsQuery('(start:(year:2026,month:11,day:9),end:(year:2026,month:11,day:1))'));
    // Encoded syntax is no syntax: the record arrives as one string.
    const encoded = await get(running, analyticsQuery('%28start%3A%28year%3A2026%2Cmonth%3A11%2Cday%3A1%29%29'));

    // Assess
    expect(month13).toMatchObject({
      status: 400,
      body: { status: 400, errorDetails: { inputErrors: [{ description: '2026-13-1 is not a valid date', input: { inputPath: { fieldPath: 'dateRange.start' } } }] } },
    });
    expect(backwards.body).toMatchObject({ errorDetails: { inputErrors: [{ input: { inputPath: { fieldPath: 'dateRange' } } }] } });
    expect(encoded).toMatchObject({
      status: 400,
      body: { errorDetails: { inputErrors: [{ description: 'Invalid value for field; wrong type or other syntax error', input: { inputPath: { fieldPath: 'dateRange' } } }] } },
    });
  });

  it('parses Rest.li 2.0 records and lists, decoding the leaves', () => {
    // Prepare
    const raw = '(start:(year:2026,month:1,day:1),ids:List(urn%3Ali%3Ax%3A1,a%2Cb),empty:List())';
    // Act
    const value = parseRestliValue(raw);
    // Assess
    expect(value).toEqual({ start: { year: '2026', month: '1', day: '1' }, ids: ['urn:li:x:1', 'a,b'], empty: [] });
  });

  it('requires the version and protocol headers the way LinkedIn does', async () => {
    // Prepare
    const running = await sandbox();
    const query = analyticsQuery('(start:(year:2026,month:11,day:1))');

    // Act
    const noVersion = await get(running, query, { Authorization: headers.Authorization, 'X-Restli-Protocol-Version': '2.0.0' });
    const sunset = await get(running, query, { ...headers, 'LinkedIn-Version': '202407' });
    const restli1 = await get(running, query, { Authorization: headers.Authorization, 'LinkedIn-Version': '202610' });

    // Assess
    expect(noVersion).toMatchObject({ status: 400, body: { status: 400, code: 'VERSION_MISSING', message: 'A version must be present. Please specify a version by adding the LinkedIn-Version header.' } });
    expect(sunset).toMatchObject({ status: 426, body: { status: 426, code: 'NONEXISTENT_VERSION', message: 'Requested version 202407 is not active' } });
    expect(restli1).toMatchObject({ status: 400, body: { message: 'Invalid query parameters passed to request' } });
  });

  it("answers LinkedIn's 401 bodies for a missing, wrong and expired token", async () => {
    // Prepare
    const running = await sandbox({ expiredAccessTokens: ['old-token'] });
    const query = 'rest/adAccounts/512345678';

    // Act
    const missing = await get(running, query, { 'LinkedIn-Version': '202610' });
    const wrong = await get(running, query, { ...headers, Authorization: 'Bearer nope' });
    const expired = await get(running, query, { ...headers, Authorization: 'Bearer old-token' });

    // Assess
    expect(missing).toEqual({ status: 401, retryAfter: null, body: { message: 'Empty oauth2_access_token', serviceErrorCode: 401, status: 401 } });
    expect(wrong.body).toEqual({ status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token' });
    expect(expired.body).toEqual({ status: 401, serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN', message: 'The token used in the request has expired' });
  });

  it('pages the campaign search with pageSize and pageToken until no nextPageToken comes back', async () => {
    // Prepare
    const running = await sandbox();

    // Act
    const first = await get(running, 'rest/adAccounts/512345678/adCampaigns?q=search&pageSize=1');
    const token = (first.body.metadata as { nextPageToken: string }).nextPageToken;
    const second = await get(running, `rest/adAccounts/512345678/adCampaigns?q=search&pageSize=1&pageToken=${encodeURIComponent(token)}`);
    const groups = await get(running, 'rest/adAccounts/512345678/adCampaignGroups?q=search');

    // Assess
    expect(first.body.elements).toEqual([expect.objectContaining({
      id: 781230001, name: 'b2b_webinar_leadgen', status: 'ACTIVE', campaignGroup: 'urn:li:sponsoredCampaignGroup:634120001', account: 'urn:li:sponsoredAccount:512345678',
    })]);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(second.body).toMatchObject({ elements: [{ id: 781230002, name: 'b2b_webinar_retarget' }], metadata: {} });
    expect(second.body.metadata).not.toHaveProperty('nextPageToken');
    expect((groups.body.elements as Array<{ id: number; name: string }>).map((g) => [g.id, g.name])).toEqual([
      [634120000, 'Default Campaign Group'], [634120001, 'b2b_webinar'],
    ]);
  });

  it('serves the account with its currency and denies an account the token cannot read', async () => {
    // Prepare
    const running = await sandbox();

    // Act
    const own = await get(running, 'rest/adAccounts/512345678');
    const foreign = await get(running, 'rest/adAccounts/111/adCampaigns?q=search');

    // Assess
    expect(own.body).toMatchObject({ id: 512345678, name: 'Seoul Shop B2B', currency: 'USD', status: 'ACTIVE', type: 'BUSINESS' });
    expect(foreign).toMatchObject({
      status: 403, body: { status: 403, serviceErrorCode: 100, code: 'ACCESS_DENIED', message: 'Not enough permissions to access: adCampaigns.FINDER-search.20261001' },
    });
  });

  it('exchanges a refresh token for a new 60-day access token at the token endpoint', async () => {
    // Prepare
    const running = await sandbox();
    const form = (refreshToken: string) => new URLSearchParams({
      grant_type: 'refresh_token', refresh_token: refreshToken, client_id: running.oauthClient.clientId, client_secret: running.oauthClient.clientSecret,
    });

    // Act
    const good = await fetch(running.tokenUrl, { method: 'POST', body: form(running.oauthClient.refreshToken) });
    const issued = await good.json() as { access_token: string; expires_in: number; refresh_token: string };
    const bad = await fetch(running.tokenUrl, { method: 'POST', body: form('revoked') });
    const withIssued = await get(running, 'rest/adAccounts/512345678', { ...headers, Authorization: `Bearer ${issued.access_token}` });

    // Assess
    expect(good.status).toBe(200);
    expect(issued).toMatchObject({ expires_in: 5_184_000, refresh_token: running.oauthClient.refreshToken });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_grant', error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked' });
    expect(withIssued.status).toBe(200);
  });

  it('throttles every Nth API request with 429, adding Retry-After only when configured', async () => {
    // Prepare
    const hinted = await sandbox({ throttle: { everyNthRequest: 2, retryAfterSeconds: 1 } });
    const bare = await sandbox({ throttle: { everyNthRequest: 2 } });

    // Act
    const hintedAnswers = [await get(hinted, 'rest/adAccounts/512345678'), await get(hinted, 'rest/adAccounts/512345678')];
    const bareAnswers = [await get(bare, 'rest/adAccounts/512345678'), await get(bare, 'rest/adAccounts/512345678')];

    // Assess
    expect(hintedAnswers.map((a) => [a.status, a.retryAfter])).toEqual([[200, null], [429, '1']]);
    expect(bareAnswers.map((a) => [a.status, a.retryAfter])).toEqual([[200, null], [429, null]]);
    expect(bareAnswers[1]!.body).toEqual({ status: 429, code: 'TOO_MANY_REQUESTS', message: 'Too Many Requests' });
  });
});
