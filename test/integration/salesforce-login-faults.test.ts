import { afterEach, describe, expect, it } from 'vitest';
import { SalesforceClient } from '../../connectors/salesforce/client.ts';
import type { SalesforceAuth } from '../../connectors/salesforce/config.ts';
import { startSalesforceSandbox, type RunningSalesforceSandbox } from '../../connectors/salesforce/sandbox/server.ts';
import { parseFaultPlan, type InjectedFault } from '../../connectors/sandbox-kit/faults.ts';
import { SourceError } from '../../core/errors.ts';
import { createConsoleLogger } from '../../core/log.ts';
import type { RetryPolicy } from '../../core/retry.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';

// Sign-in through jsforce (OAuth token endpoint, SOAP login) against the sandbox with faults on the
// login request itself: throttled and cut answers are retried, refused grants fail at once with a
// message that says what to fix and carries no credential.
const seed = { seed: 42, anchorDate: '2026-10-16', historyDays: 45 };
const fastRetry: RetryPolicy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxTotalWaitMs: 60_000 };
const sandboxes: RunningSalesforceSandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

async function sandbox(faults?: string): Promise<{ sf: RunningSalesforceSandbox; injected: InjectedFault[] }> {
  const injected: InjectedFault[] = [];
  const sf = await startSalesforceSandbox({ ...seed, ...(faults ? { faults: { ...parseFaultPlan(faults), onFault: (f) => injected.push(f) } } : {}) });
  sandboxes.push(sf);
  return { sf, injected };
}

type Flow = 'refresh_token' | 'oauth_password' | 'soap';

function secretFor(sf: RunningSalesforceSandbox, flow: Flow, wrong = false): { auth: SalesforceAuth; secret: Record<string, string> } {
  const { oauth } = sf;
  if (flow === 'refresh_token') {
    return { auth: { type: 'refresh_token', secret: 'sf/crm' }, secret: { client_id: oauth.clientId, client_secret: oauth.clientSecret, refresh_token: wrong ? 'revoked' : oauth.refreshToken } };
  }
  const login = { username: oauth.username, password: wrong ? 'not-the-password' : oauth.password, security_token: oauth.securityToken };
  return {
    auth: { type: 'username_password', secret: 'sf/crm' },
    secret: flow === 'soap' ? login : { ...login, client_id: oauth.clientId, client_secret: oauth.clientSecret },
  };
}

async function signIn(sf: RunningSalesforceSandbox, flow: Flow, wrong = false) {
  const waits: number[] = [];
  const warnings: string[] = [];
  const { auth, secret } = secretFor(sf, flow, wrong);
  const connecting = SalesforceClient.connect({
    sourceId: 'crm', auth, instanceUrl: sf.instanceUrl, loginUrl: sf.instanceUrl, apiVersion: '62.0',
    secrets: new LayeredSecretStore({ 'sf/crm': JSON.stringify(secret) }, new LocalSecretStore({ env: {} })),
    log: createConsoleLogger({ level: 'warn', write: (line) => warnings.push(normalised(line)) }),
    retryPolicy: fastRetry, sleep: async (ms) => void waits.push(ms),
  });
  const outcome = await connecting.then((client) => ({ client, error: undefined }), (error: unknown) => ({ client: undefined, error }));
  return { ...outcome, waits, warnings };
}

async function leadIds(client: SalesforceClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of client.queryAll('SELECT Id FROM Lead ORDER BY Id', { batchSize: 500 }, 'salesforce_lead')) ids.push(...page.records.map((r) => String(r.Id)));
  return ids;
}

const normalised = (text: string) => text.replace(/127\.0\.0\.1:\d+/g, 'HOST');
const credentialsOf = (sf: RunningSalesforceSandbox) => [sf.oauth.clientSecret, sf.oauth.refreshToken, sf.oauth.password, sf.oauth.securityToken];

function chain(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e; e = (e as { cause?: unknown }).cause) parts.push(`${(e as Error).message} ${JSON.stringify((e as SourceError).context ?? {})}`);
  return parts.join('\n');
}

describe('Salesforce sign-in under faults at the token endpoint', () => {
  it('waits out a 429 from the OAuth token endpoint (its Retry-After), then signs in and reads what a clean run reads', async () => {
    // Prepare
    const { sf: clean } = await sandbox();
    const expected = await leadIds((await signIn(clean, 'refresh_token')).client!);
    const { sf, injected } = await sandbox('429:0@2s,fail-on:1@429');

    // Act
    const { client, waits, warnings } = await signIn(sf, 'refresh_token');
    const ids = await leadIds(client!);

    // Assess
    expect(injected.map((f) => [f.request, f.status, f.path])).toEqual([[1, 429, '/services/oauth2/token']]);
    expect(waits).toEqual([2000]);
    expect(warnings).toEqual([
      'WARN retrying after Salesforce login (refresh_token) at http://HOST failed: the OAuth token endpoint http://HOST/services/oauth2/token ' +
      'answered HTTP 429 (RESOURCE_EXHAUSTED: Fault injected by the sandbox: HTTP 429.) {"attempt":1,"delayMs":2000}',
    ]);
    expect(ids).toEqual(expected);
    expect(sf.stats().tokenGrants).toBe(1);
  });

  it('gives up on a token endpoint that keeps answering 429 with a SourceError naming the endpoint, the status and the vendor\'s error', async () => {
    // Prepare
    const { sf, injected } = await sandbox('429:1@2s');

    // Act
    const { error, waits } = await signIn(sf, 'refresh_token');

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect(normalised((error as SourceError).message)).toBe('Salesforce login (refresh_token) at http://HOST failed: the OAuth token endpoint ' +
      'http://HOST/services/oauth2/token answered HTTP 429 (RESOURCE_EXHAUSTED: Fault injected by the sandbox: HTTP 429.)');
    expect((error as SourceError).context).toEqual({ source: 'crm', status: 429, errorCode: 'RESOURCE_EXHAUSTED' });
    expect([(error as SourceError).retryable, (error as SourceError).retryAfterMs]).toEqual([true, 2000]);
    expect(waits).toEqual([2000, 2000, 2000]);
    expect(injected.map((f) => f.path)).toEqual(Array(fastRetry.attempts).fill('/services/oauth2/token'));
    for (const secret of credentialsOf(sf)) expect(chain(error)).not.toContain(secret);
  });

  it.each([
    ['refresh_token', 'refresh_token', 'invalid_grant: expired access/refresh token. The refresh token was revoked or has expired, or belongs to another connected app: ' +
      'authorise the app again and update refresh_token in secret "sf/crm".', 400, 'invalid_grant'],
    ['oauth_password', 'username_password', 'invalid_grant: authentication failure. Check username, password and security_token in secret "sf/crm" ' +
      '(resetting the password issues a new security token).', 400, 'invalid_grant'],
    ['soap', 'username_password', 'INVALID_LOGIN: Invalid username, password, security token; or user locked out. Check username, password and security_token ' +
      'in secret "sf/crm" (resetting the password issues a new security token).', 500, 'INVALID_LOGIN'],
  ] as const)('fails at once on a refused %s grant, saying which secret to fix', async (flow, type, said, status, errorCode) => {
    // Prepare
    const { sf } = await sandbox();

    // Act
    const { error, waits } = await signIn(sf, flow, true);

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect(normalised((error as SourceError).message)).toBe(`Salesforce login (${type}) at http://HOST failed: ${said}`);
    expect((error as SourceError).context).toEqual({ source: 'crm', status, errorCode });
    expect((error as SourceError).retryable).toBe(false);
    expect([sf.stats().requests, waits]).toEqual([1, []]);
    for (const secret of credentialsOf(sf)) expect(chain(error)).not.toContain(secret);
  });

  it.each([
    ['refresh_token', 'reset', /POST http:\/\/HOST\/services\/oauth2\/token: the connection dropped after HTTP 200 headers, mid-body/],
    ['refresh_token', 'truncate', /the OAuth token endpoint http:\/\/HOST\/services\/oauth2\/token returned a body that is not JSON \(HTTP 200; cut short\?\)/],
    ['oauth_password', 'malformed', /the OAuth token endpoint http:\/\/HOST\/services\/oauth2\/token returned a body that is not JSON \(HTTP 200; cut short\?\)/],
    ['soap', 'malformed', /the SOAP login endpoint http:\/\/HOST\/services\/Soap\/u\/62\.0 returned a body that is not a whole SOAP envelope \(HTTP 200; cut short\?\)/],
    ['soap', 'reset', /POST http:\/\/HOST\/services\/Soap\/u\/62\.0: the connection dropped after HTTP 200 headers, mid-body/],
  ] as const)('signs in (%s) after a %s login answer, asking again', async (flow, fault, warning) => {
    // Prepare
    const { sf, injected } = await sandbox(`fail-on:1@${fault}`);

    // Act
    const { client, error, warnings } = await signIn(sf, flow);

    // Assess
    expect(error).toBeUndefined();
    expect(injected.map((f) => [f.request, f.body])).toEqual([[1, fault]]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(warning);
    expect((await leadIds(client!)).length).toBeGreaterThan(0);
  });
});
