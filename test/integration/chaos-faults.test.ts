import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chooseFault, describeFaultPlan, FaultPlanError, parseFaultPlan, setProcessFaultPlan, type FaultPlan, type InjectedFault,
} from '../../connectors/sandbox-kit/faults.ts';
import { listenOnLoopback, sendJson, type LoopbackServer } from '../../connectors/sandbox-kit/http.ts';
import { startTiktokSandbox } from '../../connectors/tiktok/sandbox/server.ts';
import { SourceError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { createConsoleLogger } from '../../core/log.ts';
import { compareTables, readLakeTables } from '../../scripts/chaos/lake-compare.ts';
import { chaosTargets, type ChaosTarget, type StartedTarget } from '../../scripts/chaos/targets.ts';
import { cleanBaseline, syncInProcess, tablesOf, type Baseline } from '../../scripts/chaos/trials.ts';

const anchorDate = '2026-10-16';
// The five API clients this suite checks (Salesforce's findings are in the chaos report).
const adTargets = chaosTargets.filter((t) => t.type !== 'salesforce');
const backfillDays = 28;
const servers: { stop(): Promise<void> }[] = [];
const dirs: string[] = [];

afterEach(async () => {
  setProcessFaultPlan(undefined);
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('fault plan grammar', () => {
  it('parses the documented example and prints it back', () => {
    // Act
    const plan = parseFaultPlan('429:0.1, 500:0.05, reset:0.02, truncate:0.02, slow:0.05@200ms, fail-on:3, fail-on:7@reset, 503:5%@2s, expire:40, seed:9');
    // Assess
    expect(plan).toEqual({
      seed: 9,
      shares: { 429: 0.1, 500: 0.05, 503: 0.05, reset: 0.02, truncate: 0.02, slow: 0.05 },
      retryAfterSeconds: { 503: 2 },
      slowMs: 200,
      failOn: [{ request: 3, fault: 503 }, { request: 7, fault: 'reset' }],
      expireAfter: 40,
    });
    expect(describeFaultPlan(plan)).toBe('429:0.1,500:0.05,503:0.05@2s,reset:0.02,truncate:0.02,slow:0.05@200ms,fail-on:3,fail-on:7@reset,expire:40,seed:9');
  });

  it('refuses every mistake with a message that names the item', () => {
    // Prepare
    const cases = ['teapot:0.1', '429:2', '429:0.6,500:0.6', 'fail-on:0', 'reset:0.1@2s', '429:0.1@1500ms', '', '200:0.1', 'fail-on:3@wobble', '429'];
    // Act
    const messages = cases.map((text) => {
      try {
        parseFaultPlan(text);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(FaultPlanError);
        return (error as Error).message;
      }
    });
    // Assess
    expect(messages).toEqual([
      '"teapot:0.1": unknown fault "teapot"; write a status (429, 500, 502, 503…), reset, truncate, malformed, slow, fail-on, expire or seed',
      '"429:2": the share is a fraction 0…1 or a percentage, e.g. 0.1 or 10%',
      'the shares add up to 1.2; they must add up to at most 1',
      '"fail-on:0": write a request number from 1',
      '"reset:0.1@2s": reset takes no @option',
      '"429:0.1@1500ms": Retry-After is whole seconds, e.g. @2s',
      'the fault plan is empty; write e.g. 429:0.1,500:0.05,reset:0.02',
      '"200:0.1": a status fault must be 400…599',
      '"fail-on:3@wobble": write fail-on:N, fail-on:N@STATUS (400…599) or fail-on:N@reset|truncate|malformed|slow',
      '"429" is not a fault; write kind:value, e.g. 429:0.1@2s, reset:0.02, fail-on:3',
    ]);
  });

  it('draws the same faults for the same seed, in the shares asked for', () => {
    // Prepare
    const plan = parseFaultPlan('429:0.1,500:0.05,reset:0.02,truncate:0.02,slow:0.05@200ms,fail-on:3');
    // Act
    const counts: Record<string, number> = {};
    for (let request = 1; request <= 10_000; request++) {
      const kind = chooseFault(plan, request)?.kind ?? 'none';
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    // Assess: seed 1's draws, within a few percent of the shares.
    expect(counts).toEqual({ 429: 955, 500: 481, reset: 216, truncate: 204, slow: 539, 'fail-on': 1, none: 7604 });
    expect([1, 2, 3, 4].map((n) => chooseFault(plan, n)?.kind ?? '-')).toEqual(['-', 'reset', 'fail-on', '-']);
  });
});

describe('faults at the HTTP layer of every sandbox (listenOnLoopback)', () => {
  const body = { results: [{ id: 1, name: '서울 캠페인' }, { id: 2, name: 'Busan' }] };
  const text = JSON.stringify(body);

  async function jsonServer(faults?: FaultPlan): Promise<LoopbackServer> {
    const server = await listenOnLoopback(async (_request, response) => sendJson(response, 200, body), 0, faults);
    servers.push(server);
    return server;
  }

  it('answers request N with the fault it names, and leaves the others alone', async () => {
    // Prepare
    const seen: InjectedFault[] = [];
    const server = await jsonServer({
      ...parseFaultPlan('fail-on:1@429,fail-on:2@reset,fail-on:3@truncate,fail-on:4@malformed,fail-on:5@slow,fail-on:6@503,slow:0@250ms'),
      onFault: (fault) => seen.push(fault),
    });
    const get = () => fetch(`${server.url}v1/report`);

    // Act
    const throttled = await get();
    const throttledBody = await throttled.json();
    const reset = await get();
    const resetRead = await reset.text().then(() => 'read', (error: Error) => error.message);
    const truncated = await get();
    const truncatedText = await truncated.text();
    const malformed = await get();
    const malformedText = await malformed.text();
    const slowStarted = Date.now();
    const slowText = await (await get()).text();
    const slowMs = Date.now() - slowStarted;
    const unavailable = await get();
    const clean = await (await get()).text();

    // Assess
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '1']);
    expect(throttledBody).toEqual({ error: { code: 429, message: 'Fault injected by the sandbox: HTTP 429.', status: 'RESOURCE_EXHAUSTED' } });
    expect([reset.status, resetRead]).toEqual([200, 'terminated']);
    expect([truncated.status, truncatedText]).toEqual([200, Buffer.from(text).subarray(0, Math.floor(Buffer.byteLength(text) / 2)).toString()]);
    expect(() => JSON.parse(truncatedText)).toThrow();
    expect([malformed.status, malformedText]).toEqual([200, '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n']);
    expect(slowText).toBe(text);
    expect(slowMs).toBeGreaterThanOrEqual(240);
    expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '1']);
    expect(clean).toBe(text);
    expect(seen.map((f) => [f.request, f.kind, f.status ?? f.body, f.path])).toEqual([
      [1, 'fail-on', 429, '/v1/report'], [2, 'fail-on', 'reset', '/v1/report'], [3, 'fail-on', 'truncate', '/v1/report'],
      [4, 'fail-on', 'malformed', '/v1/report'], [5, 'fail-on', 'slow', '/v1/report'], [6, 'fail-on', 503, '/v1/report'],
    ]);
  });

  it('answers 401 to every request after `expire:N`, as a token that expired mid-sync', async () => {
    // Prepare
    const server = await jsonServer(parseFaultPlan('expire:2'));
    // Act
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(server.url)).status);
    // Assess
    expect(statuses).toEqual([200, 200, 401, 401]);
  });

  it('gives a sandbox started without a plan the process plan (kpi sandbox --faults), and none once it is cleared', async () => {
    // Prepare
    setProcessFaultPlan(parseFaultPlan('fail-on:1@503'));
    const faulted = await startTiktokSandbox({ anchorDate });
    servers.push(faulted);
    setProcessFaultPlan(undefined);
    const plain = await startTiktokSandbox({ anchorDate });
    servers.push(plain);
    const info = (url: string, token: string) => fetch(`${url}open_api/v1.3/advertiser/info/?advertiser_ids=["7123456789012345678"]`, { headers: { 'Access-Token': token } });
    // Act
    const first = await info(faulted.url, faulted.accessToken);
    const second = await info(faulted.url, faulted.accessToken);
    const unfaulted = await info(plain.url, plain.accessToken);
    // Assess
    expect([first.status, second.status, unfaulted.status]).toEqual([503, 200, 200]);
  });
});

/** Each connector's sandbox with `plan`, synced in this process into a fresh lake, every log line kept. */
async function syncUnder(target: ChaosTarget, plan: string): Promise<{
  started: StartedTarget; lake: string; lines: string[]; faults: InjectedFault[]; outcome: unknown; ms: number;
}> {
  const faults: InjectedFault[] = [];
  const started = await target.start({ anchorDate, backfillDays, faults: { ...parseFaultPlan(plan), onFault: (f) => faults.push(f) } });
  servers.push(started.sandbox);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kpi-chaos-faults-'));
  dirs.push(dir);
  const lines: string[] = [];
  const begun = Date.now();
  const outcome = await syncInProcess([started], new LocalFolderStore(path.join(dir, 'lake')), anchorDate, createConsoleLogger({ level: 'info', write: (l) => lines.push(l) }))
    .catch((error: unknown) => error);
  return { started, lake: path.join(dir, 'lake'), lines, faults, outcome, ms: Date.now() - begun };
}

const retryDelays = (lines: readonly string[]): number[] => lines.filter((l) => l.includes('retrying after')).map((l) => Number(/"delayMs":(\d+)/.exec(l)?.[1]));

describe('every connector against its sandbox under faults (retry, Retry-After, classification, cap)', () => {
  it('retries a 429, a reset, a cut body, a proxy page and a 502 — waiting Retry-After for the 429 — and lands exactly the clean rows', async () => {
    // Prepare
    // Every other request, so each retry (the next request) succeeds: five calls fail once each.
    const plan = 'fail-on:2@429,fail-on:4@reset,fail-on:6@truncate,fail-on:8@malformed,fail-on:10@502';
    const baselines = new Map<string, Baseline>();

    // Act: each connector's clean run and its run under faults, all at once.
    const [, runs] = await Promise.all([
      Promise.all(adTargets.map(async (t) => baselines.set(t.type, await cleanBaseline([t], anchorDate, backfillDays)))),
      Promise.all(adTargets.map((target) => syncUnder(target, plan))),
    ]);

    // Assess
    for (const [index, target] of adTargets.entries()) {
      const { started, lake, lines, faults, outcome } = runs[index]!;
      expect(outcome, `${target.type}: ${String(outcome)}`).toBeInstanceOf(Array);
      expect(faults.map((f) => f.status ?? f.body)).toEqual([429, 'reset', 'truncate', 'malformed', 502]);
      const delays = retryDelays(lines);
      // One retry per fault: the 429's waits its Retry-After (1 s); the others a jittered backoff under the first step (500 ms).
      expect(delays, `${target.type}: ${lines.join('\n')}`).toHaveLength(5);
      expect(delays[0]).toBeGreaterThanOrEqual(1000);
      for (const delay of delays.slice(1)) expect(delay).toBeLessThan(500);
      const shape = tablesOf([target], [started]);
      const found = await readLakeTables(lake, shape);
      for (const table of shape.tables) {
        const comparison = compareTables(baselines.get(target.type)!.tables.get(table.name)!, found.get(table.name));
        expect(comparison).toEqual({ ...comparison, duplicates: 0, losses: 0, unexpected: 0, beforeStart: 0, sumMismatches: [] });
        expect(comparison.rowsFound).toBe(comparison.rowsExpected);
        expect(comparison.rowsFound).toBeGreaterThan(0);
      }
    }
  });

  it('fails fast on a 400 and on a 401, with a message and context naming the source and stream', async () => {
    // Act
    const bad = await Promise.all(adTargets.map((target) => syncUnder(target, 'fail-on:2@400')));
    const denied = await Promise.all(adTargets.map((target) => syncUnder(target, 'fail-on:2@401')));

    // Assess
    const summary = (runs: typeof bad) => runs.map(({ outcome, lines, ms }) => {
      expect(outcome).toBeInstanceOf(SourceError);
      const error = outcome as SourceError;
      expect(error.retryable).toBe(false);
      expect(retryDelays(lines)).toEqual([]);
      expect(ms).toBeLessThan(3000);
      return [error.message, error.context.source, error.context.stream, error.context.status];
    });
    expect(summary(bad)).toEqual([
      ['GA4 runReport failed (HTTP 400): Fault injected by the sandbox: HTTP 400.', 'web', 'ga4_traffic_daily', 400],
      ['Google Ads rejected the searchStream request for customer 9876543210 (HTTP 400 INVALID_ARGUMENT, Fault injected by the sandbox: HTTP 400.). Check the customer id and apiVersion.', 'google_ads', 'ads_google_campaign_daily', 400],
      ['Meta GET act_1029384756/campaigns failed (HTTP 400, code 400): Fault injected by the sandbox: HTTP 400.', 'meta', 'ads_meta_campaign_daily', 400],
      ['LinkedIn rejected the adAccounts get request (HTTP 400 {"error":{"code":400,"message":"Fault injected by the sandbox: HTTP 400.","status":"INVALID_ARGUMENT"}}). Check accountIds and apiVersion (202610).', 'linkedin', 'ads_linkedin_campaign_daily', 400],
      ['TikTok /campaign/get/ failed (HTTP 400).', 'tiktok', 'ads_tiktok_campaign_daily', 400],
    ]);
    expect(summary(denied)).toEqual([
      ["GA4 rejected the credentials (HTTP 401): Fault injected by the sandbox: HTTP 401.. Check the source's auth secret and that it can read the property.", 'web', 'ga4_traffic_daily', 401],
      ["Google Ads rejected the credentials (HTTP 401 UNAUTHENTICATED, Fault injected by the sandbox: HTTP 401.). Check the source's auth secret and that its Google account can sign in to Google Ads.", 'google_ads', 'ads_google_campaign_daily', 401],
      ["Meta rejected the credentials (HTTP 401, code 401): Fault injected by the sandbox: HTTP 401.. Check the source's auth secret.", 'meta', 'ads_meta_campaign_daily', 401],
      ['LinkedIn rejected the credentials (HTTP 401 {"error":{"code":401,"message":"Fault injected by the sandbox: HTTP 401.","status":"UNAUTHENTICATED"}}). Check the source\'s auth secret "chaos/linkedin".', 'linkedin', 'ads_linkedin_campaign_daily', 401],
      ['TikTok /campaign/get/ failed (HTTP 401).', 'tiktok', 'ads_tiktok_campaign_daily', 401],
    ]);
  });

  it('caps the total wait: a Retry-After of an hour is not slept through (Google Ads stops cleanly, the others fail at once)', async () => {
    // Act
    const runs = await Promise.all(adTargets.map((target) => syncUnder(target, '429:1@3600s')));

    // Assess
    const outcomes = runs.map(({ outcome, lines, ms }) => {
      expect(ms).toBeLessThan(3000);
      expect(retryDelays(lines)).toEqual([]);
      if (outcome instanceof SourceError) return [outcome.message, outcome.context.source];
      const results = outcome as { status: string; partialReason?: string }[];
      return results.map((r) => [r.status, r.partialReason]);
    });
    expect(outcomes).toEqual([
      ['GA4 runReport failed (HTTP 429): Fault injected by the sandbox: HTTP 429.', 'web'],
      [['partial', 'Google Ads quota exhausted (retry in 3600 s): HTTP 429 RESOURCE_EXHAUSTED, Fault injected by the sandbox: HTTP 429.']],
      ['Meta GET act_1029384756 failed (HTTP 429, code 429): Fault injected by the sandbox: HTTP 429.', 'meta'],
      ['LinkedIn token endpoint failed (HTTP 429): no error body', 'linkedin'],
      ['TikTok /advertiser/info/ failed (HTTP 429).', 'tiktok'],
    ]);
  });
});
