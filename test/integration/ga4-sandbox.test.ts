import { analyticsdata } from '@googleapis/analyticsdata';
import type { analyticsdata_v1beta } from '@googleapis/analyticsdata';
import { OAuth2Client } from 'google-auth-library';
import { afterEach, describe, expect, it } from 'vitest';
import { addDays, eachDay } from '../../core/dates.ts';
import { eventFactsFor, plantedDipRange, trafficFactsFor } from '../../connectors/ga4/sandbox/seed-data.ts';
import { startGa4Sandbox } from '../../connectors/ga4/sandbox/server.ts';
import type { Ga4SandboxOptions, RunningGa4Sandbox } from '../../connectors/ga4/sandbox/server.ts';

type Report = analyticsdata_v1beta.Schema$RunReportResponse;
type ReportRequest = analyticsdata_v1beta.Schema$RunReportRequest;

// A Wednesday; the planted dip then runs Monday 2025-03-10 … 2025-03-19.
const anchorDate = '2025-03-19';
const trafficMetrics = ['sessions', 'engagedSessions', 'totalUsers', 'newUsers', 'userEngagementDuration', 'keyEvents', 'purchaseRevenue', 'transactions'] as const;
const trafficDimensions = ['date', 'sessionDefaultChannelGroup', 'sessionSource', 'sessionMedium', 'sessionCampaignName'];

const running: RunningGa4Sandbox[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.stop()));
});

async function sandboxWith(options: Ga4SandboxOptions = {}): Promise<RunningGa4Sandbox> {
  const sandbox = await startGa4Sandbox({ anchorDate, ...options });
  running.push(sandbox);
  return sandbox;
}

function clientFor(sandbox: RunningGa4Sandbox, accessToken = sandbox.accessToken): analyticsdata_v1beta.Analyticsdata {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: accessToken });
  return analyticsdata({ version: 'v1beta', rootUrl: sandbox.url, auth });
}

async function runReport(sandbox: RunningGa4Sandbox, requestBody: ReportRequest, accessToken?: string): Promise<Report> {
  const response = await clientFor(sandbox, accessToken).properties.runReport({ property: `properties/${sandbox.propertyId}`, requestBody });
  return response.data;
}

/** Rejection of a client call, as the status and Google error body the client surfaced. */
async function failureOf(call: Promise<unknown>): Promise<{ status: number | undefined; error: { code?: number; message?: string; status?: string } | undefined }> {
  try {
    await call;
  } catch (caught) {
    const error = caught as { status?: number; response?: { status?: number; data?: { error?: { code?: number; message?: string; status?: string } } } };
    return { status: error.response?.status ?? error.status, error: error.response?.data?.error };
  }
  throw new Error('expected the call to be rejected');
}

function column(report: Report, name: string): string[] {
  const metricIndex = (report.metricHeaders ?? []).findIndex((header) => header.name === name);
  if (metricIndex >= 0) return (report.rows ?? []).map((row) => row.metricValues![metricIndex]!.value!);
  const dimensionIndex = (report.dimensionHeaders ?? []).findIndex((header) => header.name === name);
  return (report.rows ?? []).map((row) => row.dimensionValues![dimensionIndex]!.value!);
}

function sumOf(report: Report, name: string): number {
  return column(report, name).reduce((total, value) => total + Number(value), 0);
}

describe('GA4 sandbox with the real @googleapis/analyticsdata client', () => {
  it('serves a 7-day traffic report whose sums match the seed data', async () => {
    // Prepare
    const sandbox = await sandboxWith();
    const from = '2025-03-01';
    const to = '2025-03-07';
    const facts = [...eachDay(from, to)].flatMap((date) => trafficFactsFor(date, { seed: 42, anchorDate }));

    // Act
    const report = await runReport(sandbox, {
      dateRanges: [{ startDate: from, endDate: to }],
      dimensions: trafficDimensions.map((name) => ({ name })),
      metrics: trafficMetrics.map((name) => ({ name })),
    });

    // Assess
    expect(sandbox.requestCount()).toBe(1);
    expect(report.kind).toBe('analyticsData#runReport');
    expect(report.dimensionHeaders).toEqual(trafficDimensions.map((name) => ({ name })));
    expect(report.metricHeaders).toEqual([
      { name: 'sessions', type: 'TYPE_INTEGER' },
      { name: 'engagedSessions', type: 'TYPE_INTEGER' },
      { name: 'totalUsers', type: 'TYPE_INTEGER' },
      { name: 'newUsers', type: 'TYPE_INTEGER' },
      { name: 'userEngagementDuration', type: 'TYPE_SECONDS' },
      { name: 'keyEvents', type: 'TYPE_FLOAT' },
      { name: 'purchaseRevenue', type: 'TYPE_CURRENCY' },
      { name: 'transactions', type: 'TYPE_INTEGER' },
    ]);
    expect(report.metadata).toEqual({ currencyCode: 'KRW', timeZone: 'Asia/Seoul' });
    expect(report.propertyQuota).toBeUndefined();
    const rows = report.rows ?? [];
    expect(rows.length).toBe(facts.length);
    expect(report.rowCount).toBe(rows.length);
    for (const row of rows) {
      for (const cell of [...row.dimensionValues!, ...row.metricValues!]) expect(typeof cell.value).toBe('string');
    }
    const dates = column(report, 'date');
    expect(dates.every((date) => /^\d{8}$/.test(date))).toBe(true);
    expect(new Set(dates)).toEqual(new Set(['20250301', '20250302', '20250303', '20250304', '20250305', '20250306', '20250307']));
    expect([...dates].sort()).toEqual(dates);
    expect(column(report, 'sessionDefaultChannelGroup')).toContain('Paid Social');
    expect(column(report, 'sessionCampaignName')).toContain('spring_sale');
    for (const metric of trafficMetrics) {
      expect(sumOf(report, metric), metric).toBe(facts.reduce((total, fact) => total + fact[metric], 0));
    }
  });

  it('aggregates over the requested dimensions and serves event facts by eventName', async () => {
    // Prepare
    const sandbox = await sandboxWith();
    const day = '2025-03-05';
    const traffic = trafficFactsFor(day, { seed: 42, anchorDate });
    const events = eventFactsFor(day, { seed: 42, anchorDate });

    // Act
    const byChannel = await runReport(sandbox, {
      dateRanges: [{ startDate: day, endDate: day }],
      dimensions: [{ name: 'sessionDefaultChannelGroup' }],
      metrics: [{ name: 'sessions' }, { name: 'transactions' }],
    });
    const byEvent = await runReport(sandbox, {
      dateRanges: [{ startDate: day, endDate: day }],
      dimensions: [{ name: 'date' }, { name: 'eventName' }],
      metrics: [{ name: 'eventCount' }, { name: 'totalUsers' }],
    });

    // Assess
    const paidSocial = traffic.filter((fact) => fact.channelGroup === 'Paid Social');
    const paidSocialIndex = column(byChannel, 'sessionDefaultChannelGroup').indexOf('Paid Social');
    expect(column(byChannel, 'sessions')[paidSocialIndex]).toBe(String(paidSocial.reduce((total, fact) => total + fact.sessions, 0)));
    expect(sumOf(byChannel, 'transactions')).toBe(traffic.reduce((total, fact) => total + fact.transactions, 0));
    expect(byEvent.rowCount).toBe(events.length);
    const purchaseIndex = column(byEvent, 'eventName').indexOf('purchase');
    expect(column(byEvent, 'eventCount')[purchaseIndex]).toBe(String(traffic.reduce((total, fact) => total + fact.transactions, 0)));
  });

  it('pages with limit and offset: every row exactly once, in the same order, rowCount constant', async () => {
    // Prepare
    const sandbox = await sandboxWith();
    const request: ReportRequest = {
      dateRanges: [{ startDate: '7daysAgo', endDate: 'yesterday' }],
      dimensions: [{ name: 'date' }, { name: 'sessionSource' }, { name: 'sessionCampaignName' }],
      metrics: [{ name: 'sessions' }],
    };
    const whole = await runReport(sandbox, request);
    const key = (row: analyticsdata_v1beta.Schema$Row): string => JSON.stringify([row.dimensionValues, row.metricValues]);

    // Act
    const pages: Report[] = [];
    for (let offset = 0; offset < (whole.rowCount ?? 0); offset += 5) {
      pages.push(await runReport(sandbox, { ...request, limit: '5', offset: String(offset) }));
    }
    // The API caps limit at 250,000 rows "no matter how many you ask for" rather than refusing.
    const oversized = await runReport(sandbox, { ...request, limit: '300000' });

    // Assess
    expect(whole.rowCount).toBeGreaterThan(50);
    expect(new Set(pages.map((page) => page.rowCount))).toEqual(new Set([whole.rowCount]));
    expect(pages.every((page) => (page.rows ?? []).length <= 5)).toBe(true);
    const paged = pages.flatMap((page) => page.rows ?? []).map(key);
    expect(paged).toEqual((whole.rows ?? []).map(key));
    expect(new Set(paged).size).toBe(paged.length);
    expect((oversized.rows ?? []).map(key)).toEqual(paged);
    expect(new Set(column(whole, 'date'))).toEqual(new Set(['20250312', '20250313', '20250314', '20250315', '20250316', '20250317', '20250318']));
  });

  it('leaves rows and rowCount out when nothing matches', async () => {
    // Prepare
    const sandbox = await sandboxWith({ historyDays: 30 });

    // Act
    const report = await runReport(sandbox, {
      dateRanges: [{ startDate: '2024-01-01', endDate: '2024-01-31' }],
      dimensions: [{ name: 'date' }],
      metrics: [{ name: 'sessions' }],
    });
    const raw = await fetch(new URL(`v1beta/properties/${sandbox.propertyId}%3ArunReport`, sandbox.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dateRanges: [{ startDate: addDays(anchorDate, 1), endDate: addDays(anchorDate, 5) }], metrics: [{ name: 'sessions' }] }),
    });
    const rawBody = (await raw.json()) as Record<string, unknown>;

    // Assess
    expect(report.dimensionHeaders).toEqual([{ name: 'date' }]);
    expect(report.metadata).toEqual({ currencyCode: 'KRW', timeZone: 'Asia/Seoul' });
    expect('rows' in report).toBe(false);
    expect('rowCount' in report).toBe(false);
    expect(raw.status).toBe(200);
    expect(Object.keys(rawBody).sort()).toEqual(['dimensionHeaders', 'kind', 'metadata', 'metricHeaders']);
  });

  it('rejects a bad token with 401 and an unknown dimension with 400, in Google error shape', async () => {
    // Prepare
    const sandbox = await sandboxWith();
    const request: ReportRequest = { dateRanges: [{ startDate: 'yesterday', endDate: 'today' }], metrics: [{ name: 'sessions' }] };

    // Act
    const badToken = await failureOf(runReport(sandbox, request, 'not-the-token'));
    const unknownDimension = await failureOf(runReport(sandbox, { ...request, dimensions: [{ name: 'pagePathh' }] }));
    const wrongProperty = await failureOf(clientFor(sandbox).properties.runReport({ property: 'properties/987654321', requestBody: request }));

    // Assess
    expect(badToken).toEqual({
      status: 401,
      error: { code: 401, status: 'UNAUTHENTICATED', message: expect.stringContaining('Request had invalid authentication credentials') },
    });
    expect(unknownDimension).toEqual({
      status: 400,
      error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('Field pagePathh is not a valid dimension') },
    });
    expect(wrongProperty.status).toBe(403);
    expect(wrongProperty.error?.status).toBe('PERMISSION_DENIED');
  });

  it('answers other wire errors the way the API does', async () => {
    // Prepare
    const sandbox = await sandboxWith();
    const post = (path: string, body: string): Promise<Response> =>
      fetch(new URL(path, sandbox.url), { method: 'POST', headers: { authorization: `Bearer ${sandbox.accessToken}`, 'content-type': 'application/json' }, body });
    const path = `v1beta/properties/${sandbox.propertyId}:runReport`;
    const range = { startDate: '3daysAgo', endDate: 'today' };

    // Act
    const responses = {
      malformed: await post(path, '{"dateRanges": ['),
      twoRanges: await post(path, JSON.stringify({ dateRanges: [range, range], metrics: [{ name: 'sessions' }] })),
      backwards: await post(path, JSON.stringify({ dateRanges: [{ startDate: 'today', endDate: 'yesterday' }], metrics: [{ name: 'sessions' }] })),
      unknownMetric: await post(path, JSON.stringify({ dateRanges: [range], metrics: [{ name: 'conversions2' }] })),
      incompatible: await post(path, JSON.stringify({ dateRanges: [range], dimensions: [{ name: 'eventName' }], metrics: [{ name: 'sessions' }] })),
      tooManyMetrics: await post(path, JSON.stringify({ dateRanges: [range], metrics: Array.from({ length: 11 }, () => ({ name: 'sessions' })) })),
      zeroLimit: await post(path, JSON.stringify({ dateRanges: [range], metrics: [{ name: 'sessions' }], limit: 0 })),
      notFound: await post('v1beta/properties/123456789:batchRunReports', '{}'),
    };
    const bodies = Object.fromEntries(
      await Promise.all(Object.entries(responses).map(async ([name, response]) => [name, { http: response.status, ...((await response.json()) as { error: object }).error }])),
    );

    // Assess
    expect(bodies).toMatchObject({
      malformed: { http: 400, code: 400, status: 'INVALID_ARGUMENT' },
      twoRanges: { http: 400, code: 400, status: 'INVALID_ARGUMENT' },
      backwards: { http: 400, code: 400, status: 'INVALID_ARGUMENT' },
      unknownMetric: { http: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('Field conversions2 is not a valid metric') },
      incompatible: { http: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('Please remove sessions') },
      tooManyMetrics: { http: 400, status: 'INVALID_ARGUMENT' },
      zeroLimit: { http: 400, status: 'INVALID_ARGUMENT', message: 'limit must be positive.' },
      notFound: { http: 404, code: 404, status: 'NOT_FOUND' },
    });
    expect(sandbox.requestCount()).toBe(8);
  });

  it('reports property quota on request and answers 429 RESOURCE_EXHAUSTED once the hourly tokens are gone', async () => {
    // Prepare
    const generous = await sandboxWith();
    const tiny = await sandboxWith({ quota: { tokensPerHour: 3 } });
    const request: ReportRequest = {
      dateRanges: [{ startDate: '6daysAgo', endDate: 'today' }],
      dimensions: [{ name: 'date' }],
      metrics: [{ name: 'sessions' }],
      returnPropertyQuota: true,
    };

    // Act
    const first = await runReport(generous, request);
    const second = await runReport(generous, request);
    const outcomes: Array<number | undefined> = [];
    for (let call = 0; call < 5; call++) {
      const failure = await failureOf(runReport(tiny, request)).catch(() => undefined);
      outcomes.push(failure?.status ?? 200);
      if (failure) {
        expect(failure.error).toEqual({ code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Exhausted property tokens per hour for this property.' });
        break;
      }
    }

    // Assess
    const firstQuota = first.propertyQuota!;
    const secondQuota = second.propertyQuota!;
    expect(firstQuota.tokensPerDay!.consumed).toBeGreaterThan(0);
    expect(secondQuota.tokensPerDay!.consumed).toBeGreaterThan(firstQuota.tokensPerDay!.consumed!);
    expect(secondQuota.tokensPerHour!.consumed).toBeGreaterThan(firstQuota.tokensPerHour!.consumed!);
    expect(secondQuota.tokensPerDay!.remaining).toBe(200_000 - secondQuota.tokensPerDay!.consumed!);
    expect(secondQuota.tokensPerHour!.remaining).toBe(40_000 - secondQuota.tokensPerHour!.consumed!);
    expect(secondQuota.tokensPerProjectPerHour!.remaining).toBe(14_000 - secondQuota.tokensPerProjectPerHour!.consumed!);
    expect(secondQuota.concurrentRequests).toEqual({ consumed: 0, remaining: 10 });
    expect(outcomes.at(-1)).toBe(429);
    expect(outcomes.slice(0, -1).every((status) => status === 200)).toBe(true);
  });

  it('is deterministic for a seed and anchor, and shows the planted conversion dip', async () => {
    // Prepare
    const one = await sandboxWith({ seed: 7 });
    const two = await sandboxWith({ seed: 7 });
    const otherSeed = await sandboxWith({ seed: 8 });
    const dip = plantedDipRange(anchorDate);
    const request: ReportRequest = {
      dateRanges: [{ startDate: addDays(dip.from, -28), endDate: addDays(dip.from, 6) }],
      dimensions: [{ name: 'date' }],
      metrics: [{ name: 'sessions' }, { name: 'keyEvents' }],
    };

    // Act
    const reports = await Promise.all([one, two, otherSeed].map((sandbox) => runReport(sandbox, request)));

    // Assess
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).not.toEqual(reports[0]);
    const report = reports[0]!;
    const dates = column(report, 'date');
    const sessions = column(report, 'sessions').map(Number);
    const keyEvents = column(report, 'keyEvents').map(Number);
    const weekRate = (week: number): number => {
      const first = addDays(dip.from, 7 * week).replaceAll('-', '');
      const last = addDays(dip.from, 7 * week + 6).replaceAll('-', '');
      const inWeek = dates.map((date) => date >= first && date <= last);
      const sum = (values: number[]): number => values.reduce((total, value, index) => total + (inWeek[index] ? value : 0), 0);
      return sum(keyEvents) / sum(sessions);
    };
    const baseline = [-4, -3, -2, -1].map(weekRate).reduce((total, rate) => total + rate, 0) / 4;
    expect(dates.length).toBe(35);
    expect(baseline).toBeGreaterThan(0.02);
    expect(weekRate(0)).toBeLessThanOrEqual(baseline * 0.7);
  });
});
