import { afterEach, describe, expect, it } from 'vitest';
import { eachDay } from '../../core/dates.ts';
import { campaignFactsFor, sandboxCampaigns } from '../../connectors/meta/sandbox/seed-data.ts';
import { startMetaSandbox, type MetaSandboxOptions, type RunningMetaSandbox } from '../../connectors/meta/sandbox/server.ts';

// Plain fetch against the sandbox: the wire format itself, independent of the connector's client.
const anchorDate = '2026-10-16';
const token = 'wire-test-token';
const running: RunningMetaSandbox[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function sandboxWith(options: MetaSandboxOptions = {}): Promise<RunningMetaSandbox> {
  const sandbox = await startMetaSandbox({ anchorDate, accessToken: token, ...options });
  running.push(sandbox);
  return sandbox;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(sandbox: RunningMetaSandbox, path: string, init: RequestInit & { auth?: string | null } = {}): Promise<Answer> {
  const { auth = `Bearer ${token}`, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (auth !== null) headers.set('Authorization', auth);
  const response = await fetch(new URL(path, sandbox.url), { ...rest, headers });
  return { status: response.status, body: await response.json() as Record<string, unknown>, headers: response.headers };
}

const insightsQuery = (since: string, until: string, extra = '') =>
  `level=campaign&fields=account_id,account_name,account_currency,campaign_id,campaign_name,date_start,date_stop,impressions,clicks,spend,actions,action_values` +
  `&time_increment=1&time_range=${encodeURIComponent(JSON.stringify({ since, until }))}${extra}`;

describe('Meta sandbox wire format (plain fetch)', () => {
  it('serves the ad account node with its id, currency and time zone', async () => {
    // Prepare
    const sandbox = await sandboxWith({ accountIds: ['act_1029384756'] });
    // Act
    const account = await call(sandbox, 'v26.0/act_1029384756?fields=name,currency,timezone_name');
    const badField = await call(sandbox, 'v26.0/act_1029384756?fields=name,budget');
    // Assess
    expect(account.status).toBe(200);
    expect(account.body).toEqual({ id: 'act_1029384756', name: '서울 쇼핑몰 광고 계정 1', currency: 'KRW', timezone_name: 'Asia/Seoul' });
    expect(account.headers.get('facebook-api-version')).toBe('v26.0');
    expect(badField.status).toBe(400);
    expect(badField.body).toMatchObject({ error: { message: '(#100) Tried accessing nonexisting field (budget) on node type (AdAccount)', type: 'OAuthException', code: 100 } });
  });

  it('pages insights with cursors, metrics as strings, next only while rows remain, sums equal to the seed', async () => {
    // Prepare: 2 days × 2 campaigns = 4 rows in pages of 3.
    const sandbox = await sandboxWith();
    const [accountId] = sandbox.accountIds;
    // The sandbox orders rows by date, then campaign id.
    const facts = [...eachDay('2026-10-10', '2026-10-11')]
      .flatMap((d) => campaignFactsFor(d, { seed: 42, anchorDate, accountIds: sandbox.accountIds }).sort((a, b) => (a.campaignId < b.campaignId ? -1 : 1)));
    // Act
    const first = await call(sandbox, `v26.0/act_${accountId}/insights?${insightsQuery('2026-10-10', '2026-10-11', '&limit=3')}`);
    const after = (first.body.paging as { cursors: { after: string } }).cursors.after;
    const second = await call(sandbox, `v26.0/act_${accountId}/insights?${insightsQuery('2026-10-10', '2026-10-11', `&limit=3&after=${after}`)}`);
    // Assess
    const rows = [...(first.body.data as Array<Record<string, unknown>>), ...(second.body.data as Array<Record<string, unknown>>)];
    expect([(first.body.data as unknown[]).length, (second.body.data as unknown[]).length]).toEqual([3, 1]);
    expect((first.body.paging as { next?: string }).next).toMatch(/\/v26\.0\/act_1029384756\/insights\?.*after=/);
    expect((first.body.paging as { next?: string }).next).not.toContain('access_token');
    expect(second.body.paging).toEqual({ cursors: { before: expect.any(String), after: expect.any(String) }, previous: expect.any(String) });
    expect(rows.every((r) => r.date_start === r.date_stop && typeof r.impressions === 'string' && typeof r.spend === 'string')).toBe(true);
    const springSale = sandboxCampaigns(sandbox.accountIds).find((c) => c.name === 'spring_sale')!;
    expect(rows.find((r) => r.campaign_name === 'spring_sale')).toMatchObject({
      account_id: accountId, account_name: '서울 쇼핑몰 광고 계정 1', account_currency: 'KRW', campaign_id: springSale.campaignId,
      date_start: '2026-10-10', date_stop: '2026-10-10', spend: String(facts.find((f) => f.campaignName === 'spring_sale')!.spend),
    });
    expect(rows.map((r) => `${r.date_start} ${r.campaign_id}`)).toEqual(facts.map((f) => `${f.date} ${f.campaignId}`));
    expect(rows.reduce((t, r) => t + Number(r.spend), 0)).toBe(facts.reduce((t, f) => t + f.spend, 0));
    const purchases = rows.map((r) => (r.actions as Array<{ action_type: string; value: string }>).find((a) => a.action_type === 'purchase')?.value);
    expect(purchases).toEqual(facts.map((f) => (f.purchases > 0 ? String(f.purchases) : undefined)));
    expect(JSON.parse(first.headers.get('x-business-use-case-usage')!)).toEqual({
      [accountId!]: [{ type: 'ads_insights', call_count: 0.5, total_cputime: 0, total_time: 0, estimated_time_to_regain_access: 0, ads_api_access_tier: 'standard_access' }],
    });
    expect(JSON.parse(first.headers.get('x-fb-ads-insights-throttle')!)).toEqual({ app_id_util_pct: 0.5, acc_id_util_pct: 0.5, ads_api_access_tier: 'standard_access' });
  });

  it('accepts the token as access_token too, and then repeats it in paging.next as Meta does', async () => {
    // Prepare
    const sandbox = await sandboxWith();
    // Act
    const page = await call(sandbox, `v26.0/act_${sandbox.accountIds[0]}/insights?${insightsQuery('2026-10-10', '2026-10-11', `&limit=1&access_token=${token}`)}`, { auth: null });
    // Assess
    expect(page.status).toBe(200);
    expect((page.body.paging as { next: string }).next).toContain(`access_token=${token}`);
    expect(sandbox.requests()[0]).toMatchObject({ tokenIn: 'query', params: { limit: '1' } });
    expect(sandbox.requests()[0]!.params).not.toHaveProperty('access_token');
  });

  it("answers Graph errors in Meta's shape: bad token 190, no token 104, unknown account 100/33", async () => {
    // Prepare
    const sandbox = await sandboxWith();
    // Act
    const badToken = await call(sandbox, `v26.0/act_${sandbox.accountIds[0]}`, { auth: 'Bearer wrong' });
    const noToken = await call(sandbox, `v26.0/act_${sandbox.accountIds[0]}`, { auth: null });
    const unknown = await call(sandbox, 'v26.0/act_999?fields=name');
    // Assess
    expect(badToken.status).toBe(400);
    expect(badToken.body).toEqual({ error: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190, fbtrace_id: expect.any(String) } });
    expect(badToken.headers.get('www-authenticate')).toMatch(/^OAuth "Facebook Platform" "invalid_token"/);
    expect(noToken.body).toMatchObject({ error: { message: 'An access token is required to request this resource.', code: 104 } });
    expect(unknown.body).toMatchObject({ error: { code: 100, error_subcode: 33, message: expect.stringMatching(/^Unsupported get request\. Object with ID 'act_999' does not exist/) } });
  });

  it('refuses a sync read over too many days with code 1 "reduce the amount of data", HTTP 500', async () => {
    // Prepare
    const sandbox = await sandboxWith({ maxDaysPerRequest: 7 });
    // Act
    const refused = await call(sandbox, `v26.0/act_${sandbox.accountIds[0]}/insights?${insightsQuery('2026-10-01', '2026-10-08')}`);
    const accepted = await call(sandbox, `v26.0/act_${sandbox.accountIds[0]}/insights?${insightsQuery('2026-10-02', '2026-10-08')}`);
    // Assess
    expect(refused.status).toBe(500);
    expect(refused.body).toMatchObject({ error: { message: "Please reduce the amount of data you're asking for, then retry your request", code: 1 } });
    expect(accepted.status).toBe(200);
  });

  it('throttles every Nth request with code 80000 and the hint in X-Business-Use-Case-Usage (minutes)', async () => {
    // Prepare
    const sandbox = await sandboxWith({ throttle: { everyNthRequest: 2, estimatedTimeToRegainAccessMinutes: 5, resetTimeDurationSeconds: 300 } });
    const path = `v26.0/act_${sandbox.accountIds[0]}/insights?${insightsQuery('2026-10-10', '2026-10-10')}`;
    // Act
    const ok = await call(sandbox, path);
    const throttled = await call(sandbox, path);
    // Assess
    expect(ok.status).toBe(200);
    expect(throttled.status).toBe(400);
    expect(throttled.body).toMatchObject({ error: { type: 'OAuthException', code: 80000, error_subcode: 2446079, message: expect.stringMatching(/^There have been too many calls from this ad-account/) } });
    const usage = JSON.parse(throttled.headers.get('x-business-use-case-usage')!) as Record<string, Array<Record<string, unknown>>>;
    expect(usage[sandbox.accountIds[0]!]![0]).toMatchObject({ type: 'ads_insights', call_count: 100, estimated_time_to_regain_access: 5 });
    expect(JSON.parse(throttled.headers.get('x-ad-account-usage')!)).toMatchObject({ acc_id_util_pct: 100, reset_time_duration: 300 });
  });

  it('runs an async report: report_run_id, polls through the job statuses, then pages the results', async () => {
    // Prepare
    const sandbox = await sandboxWith({ asyncPollsToComplete: 3 });
    // The same parameters as the sync call, sent as a form body the way Meta's SDKs POST them.
    const form = new URLSearchParams(insightsQuery('2026-09-01', '2026-10-15'));
    // Act
    const created = await call(sandbox, `v26.0/act_${sandbox.accountIds[0]}/insights`, { method: 'POST', body: form });
    const runId = created.body.report_run_id as string;
    const early = await call(sandbox, `v26.0/${runId}/insights`);
    const polls = [];
    for (let i = 0; i < 3; i++) polls.push((await call(sandbox, `v26.0/${runId}`)).body);
    const results = await call(sandbox, `v26.0/${runId}/insights?limit=500`);
    // Assess
    expect(runId).toMatch(/^\d+$/);
    expect(early.status).toBe(400);
    expect(polls.map((p) => [p.async_status, p.async_percent_completion])).toEqual([['Job Started', 0], ['Job Running', 67], ['Job Completed', 100]]);
    expect(polls[2]).toMatchObject({ id: runId, account_id: sandbox.accountIds[0], date_start: '2026-09-01', date_stop: '2026-10-15' });
    expect((results.body.data as unknown[]).length).toBe(45 * 2);
    expect(results.body.paging).not.toHaveProperty('next');
  });
});
