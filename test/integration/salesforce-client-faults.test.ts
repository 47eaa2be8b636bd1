import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SalesforceClient, type SalesforceClientOptions } from '../../connectors/salesforce/client.ts';
import type { SalesforceAuth } from '../../connectors/salesforce/config.ts';
import { startSalesforceSandbox, type RunningSalesforceSandbox } from '../../connectors/salesforce/sandbox/server.ts';
import { parseFaultPlan, type InjectedFault } from '../../connectors/sandbox-kit/faults.ts';
import { listenOnLoopback, sendJson, type LoopbackServer } from '../../connectors/sandbox-kit/http.ts';
import { SourceError } from '../../core/errors.ts';
import { createConsoleLogger } from '../../core/log.ts';
import type { RetryPolicy } from '../../core/retry.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';

// The Salesforce client (jsforce) against its sandbox with one fault at a time: each retryable
// fault is asked again and the reads equal a clean read; waits are recorded, not slept.
const seed = { seed: 42, anchorDate: '2026-10-16', historyDays: 45 };
const fastRetry: RetryPolicy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxTotalWaitMs: 60_000 };
const leads = 'SELECT Id, SystemModstamp FROM Lead ORDER BY SystemModstamp';
const members = 'SELECT Id, SystemModstamp FROM CampaignMember';
const servers: Array<{ stop(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function sandbox(faults: string): Promise<{ sf: RunningSalesforceSandbox; injected: InjectedFault[] }> {
  const injected: InjectedFault[] = [];
  const sf = await startSalesforceSandbox({ ...seed, faults: { ...parseFaultPlan(faults), onFault: (f) => injected.push(f) } });
  servers.push(sf);
  return { sf, injected };
}

interface Connected {
  readonly client: SalesforceClient;
  readonly waits: number[];
  readonly warnings: string[];
}

async function connect(
  url: string, secret: unknown, options: Partial<SalesforceClientOptions> & { auth?: SalesforceAuth } = {},
): Promise<Connected> {
  const waits: number[] = [];
  const warnings: string[] = [];
  const client = await SalesforceClient.connect({
    sourceId: 'crm', auth: { type: 'access_token', secret: 'sf/crm' }, instanceUrl: url, loginUrl: url, apiVersion: '62.0',
    secrets: new LayeredSecretStore({ 'sf/crm': typeof secret === 'string' ? secret : JSON.stringify(secret) }, new LocalSecretStore({ env: {} })),
    log: createConsoleLogger({ level: 'warn', write: (line) => warnings.push(line.replace(/127\.0\.0\.1:\d+/g, 'HOST')) }),
    retryPolicy: fastRetry, sleep: async (ms) => void waits.push(ms),
    ...options,
  });
  return { client, waits, warnings };
}

async function restIds(client: SalesforceClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of client.queryAll(leads, { batchSize: 200 }, 'salesforce_lead')) ids.push(...page.records.map((r) => String(r.Id)));
  return ids;
}

async function bulkIds(client: SalesforceClient): Promise<string[]> {
  const job = await client.createBulkQuery(members, 'salesforce_campaign_member');
  await client.waitForBulkJob(job.id, { pollIntervalMs: 10, timeoutMs: 10_000 }, 'salesforce_campaign_member');
  const ids: string[] = [];
  for await (const page of client.bulkResults(job.id, { maxRecords: 50 }, 'salesforce_campaign_member')) ids.push(...page.records.map((r) => r.Id!));
  return ids;
}

async function cleanIds(): Promise<{ rest: string[]; bulk: string[] }> {
  const sf = await startSalesforceSandbox(seed);
  servers.push(sf);
  const { client } = await connect(sf.instanceUrl, sf.accessToken);
  return { rest: await restIds(client), bulk: await bulkIds(client) };
}

const where = (f: InjectedFault) => `${f.request} ${f.body ?? f.status} ${f.method} ${f.path.replace(/\/[A-Za-z0-9]{18}(-\d+)?(?=\/|$)/g, '/ID')}`;

describe('Salesforce client under body faults (REST queryAll, Bulk API 2.0)', () => {
  // Requests on a fresh sandbox: 1–2 queryAll pages; 3 create job, 4–5 status polls, 6–11 results pages.
  it.each([
    ['a reset after the headers of a queryAll page', 'fail-on:2@reset', '2 reset GET /services/data/v62.0/query/ID', /the connection dropped after HTTP 200 headers, mid-body \(other side closed, UND_ERR_SOCKET\)/],
    ['a reset during a Bulk 2.0 results download', 'fail-on:7@reset', '7 reset GET /services/data/v62.0/jobs/query/ID/results', /Bulk API 2.0 query results failed: GET .*: the connection dropped after HTTP 200 headers/],
    ['a JSON page cut short', 'fail-on:1@truncate', '1 truncate GET /services/data/v62.0/queryAll', /Salesforce queryAll returned a body that is not JSON \(HTTP 200; cut short\?\)/],
    ['an HTML page (a proxy\'s) with HTTP 200 for a queryAll page', 'fail-on:2@malformed', '2 malformed GET /services/data/v62.0/query/ID', /queryAll returned a body that is not JSON \(HTTP 200/],
    ['an HTML page for a Bulk job status', 'fail-on:4@malformed', '4 malformed GET /services/data/v62.0/jobs/query/ID', /Bulk API 2.0 job status returned a body that is not JSON/],
    ['an HTML page for a Bulk results page', 'fail-on:6@malformed', '6 malformed GET /services/data/v62.0/jobs/query/ID/results', /Bulk API 2.0 query results returned a body that is not CSV \(HTTP 200/],
  ])('retries %s and reads exactly the clean run\'s records', async (_name, plan, hit, warning) => {
    // Prepare
    const clean = await cleanIds();
    const { sf, injected } = await sandbox(plan);
    const { client, warnings } = await connect(sf.instanceUrl, sf.accessToken);

    // Act
    const rest = await restIds(client);
    const bulk = await bulkIds(client);

    // Assess
    expect(injected.map(where)).toEqual([hit]);
    expect({ rest, bulk }).toEqual(clean);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(warning);
  });
});

describe('Salesforce client when a server stalls or answers the wrong shape', () => {
  async function limitsServer(answer: (request: number, response: ServerResponse) => void): Promise<LoopbackServer & { requests: () => number }> {
    let requests = 0;
    const server = await listenOnLoopback(async (_request, response) => answer(++requests, response));
    servers.push(server);
    return { ...server, requests: () => requests };
  }
  const limits = { DailyApiRequests: { Max: 100_000, Remaining: 99_990 } };

  it('abandons a body that stops arriving after the headers (no reset) once idle past idleTimeoutMs, and asks again', async () => {
    // Prepare: the first answer promises 200 bytes, sends a few and then nothing.
    const server = await limitsServer((n, response) => {
      if (n > 1) return sendJson(response, 200, limits);
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '200' });
      response.write('{"DailyApiRequests":');
    });
    const { client, warnings } = await connect(server.url.replace(/\/$/, ''), 'token', { idleTimeoutMs: 150 });

    // Act
    const answer = await client.limits('salesforce_lead');

    // Assess
    expect(answer).toEqual(limits);
    expect(server.requests()).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^WARN retrying after Salesforce limits failed: GET http:\/\/HOST\/services\/data\/v62\.0\/limits: nothing received for 150 ms after HTTP 200 headers /);
  });

  it('fails at once, not retried, on a whole JSON body of the wrong shape', async () => {
    // Prepare
    const server = await limitsServer((_n, response) => sendJson(response, 200, { DailyApiRequests: 'plenty' }));
    const { client } = await connect(server.url.replace(/\/$/, ''), 'token');

    // Act
    const error = await client.limits('salesforce_lead').then(() => undefined, (e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toBe('Salesforce limits returned an unexpected body (DailyApiRequests: Invalid input: expected object, received string)');
    expect((error as SourceError).context).toEqual({ source: 'crm', stream: 'salesforce_lead', status: 200 });
    expect((error as SourceError).retryable).toBe(false);
    expect(server.requests()).toBe(1);
  });
});
