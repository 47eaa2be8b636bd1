/**
 * The connectors the chaos trials cover: how to start each one's sandbox (with a fault plan and,
 * optionally, the vendor's own throttling), and the `sources[]` entry and secrets that point a
 * pipeline.yaml at it the way a real deployment points at the vendor (endpoint + auth secret).
 */
import type { Connector, RunningSandbox } from '../../core/connector.ts';
import { noFaults, setProcessFaultPlan, type FaultPlan } from '../../connectors/sandbox-kit/faults.ts';
import { ga4Connector } from '../../connectors/ga4/index.ts';
import { startGa4Sandbox } from '../../connectors/ga4/sandbox/server.ts';
import { googleAdsConnector } from '../../connectors/google-ads/index.ts';
import { startGoogleAdsSandbox } from '../../connectors/google-ads/sandbox/server.ts';
import { sandboxManagerCustomerId } from '../../connectors/google-ads/sandbox/seed-data.ts';
import { linkedinConnector } from '../../connectors/linkedin/index.ts';
import { LINKEDIN_SANDBOX_ACCOUNT_ID } from '../../connectors/linkedin/sandbox/seed-data.ts';
import { startLinkedinSandbox } from '../../connectors/linkedin/sandbox/server.ts';
import { metaConnector } from '../../connectors/meta/index.ts';
import { defaultSandboxAccountIds } from '../../connectors/meta/sandbox/seed-data.ts';
import { startMetaSandbox } from '../../connectors/meta/sandbox/server.ts';
import { salesforceConnector } from '../../connectors/salesforce/index.ts';
import { startSalesforceSandbox } from '../../connectors/salesforce/sandbox/server.ts';
import { tiktokConnector } from '../../connectors/tiktok/index.ts';
import { TIKTOK_SANDBOX_ADVERTISER_ID } from '../../connectors/tiktok/sandbox/seed-data.ts';
import { startTiktokSandbox } from '../../connectors/tiktok/sandbox/server.ts';

export interface TargetOptions {
  /** The sandbox's "today"; the pipeline's last complete day is the day before. */
  readonly anchorDate: string;
  readonly faults?: FaultPlan;
  /** Also turn on the vendor's own throttling answers (every Nth request), where the sandbox has them. */
  readonly vendorThrottle?: boolean;
  /** Listen on this port (a restarted sandbox keeps its URL); default any free port. */
  readonly port?: number;
  /** The credential values the sandbox accepts and the secrets carry; default fixed test values. */
  readonly credentials?: Readonly<Record<string, string>>;
  /** Days the first sync reads; default 28. */
  readonly backfillDays?: number;
}

export interface StartedTarget {
  readonly sandbox: RunningSandbox & { readonly port: number };
  /** The `sources[]` entry pointing at the sandbox. */
  readonly source: Readonly<Record<string, unknown>>;
  /** Secret name → value (JSON text or a token), for KPI_SECRET_… or a secrets file. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Vendor throttling turned on for this sandbox, described. */
  readonly vendorThrottle: string | undefined;
  /** Called between two runs of a trial: a new day for quotas counted per day. */
  nextDay?(): void;
}

export interface ChaosTarget {
  readonly type: string;
  readonly sourceId: string;
  readonly connector: Connector;
  /** Credential names (for secret scans) → default values. */
  readonly credentialNames: readonly string[];
  /** Fault kinds left out of this connector's plans, because its client cannot survive them yet. */
  readonly unsupportedFaults?: readonly string[];
  readonly unsupportedReason?: string;
  start(options: TargetOptions): Promise<StartedTarget>;
}

const chunkDays = 7;
/**
 * About one record in this many carries an odd value (the sandboxes' `oddValues`), in the clean run
 * and in every trial alike: the records each run quarantines are compared like the tables.
 */
const oddValues = 9;

function credential(options: TargetOptions, name: string, fallback: string): string {
  return options.credentials?.[name] ?? fallback;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** GA4 runReport: offset paging (small pages so a read has several), a checkpoint per 7 days. */
const ga4: ChaosTarget = {
  type: 'ga4', sourceId: 'web', connector: ga4Connector as unknown as Connector, credentialNames: ['access_token'],
  async start(options) {
    const accessToken = credential(options, 'access_token', 'ga4-token-0000');
    const sandbox = await startGa4Sandbox({
      anchorDate: options.anchorDate, seed: 42, accessToken, oddValues,
      ...(options.port === undefined ? {} : { port: options.port }), faults: options.faults ?? noFaults,
    });
    return {
      sandbox: { ...sandbox, port: portOf(sandbox.url) },
      source: {
        id: 'web', type: 'ga4', propertyId: sandbox.propertyId, endpoint: sandbox.url,
        auth: { type: 'access_token', secret: 'chaos/web' }, backfillDays: options.backfillDays ?? 28, chunkDays, pageSize: 250, lookbackDays: 3,
      },
      secrets: { 'chaos/web': accessToken },
      vendorThrottle: undefined,
    };
  },
};

/** Google Ads searchStream through a manager account; the secret carries a developer token too. */
const googleAds: ChaosTarget = {
  type: 'google_ads', sourceId: 'google_ads', connector: googleAdsConnector as unknown as Connector,
  credentialNames: ['access_token', 'developer_token'],
  async start(options) {
    const accessToken = credential(options, 'access_token', 'gads-token-0000');
    const developerToken = credential(options, 'developer_token', 'gads-dev-0000');
    const throttle = options.vendorThrottle ? { everyNthRequest: 5, retryDelaySeconds: 1 } : undefined;
    const sandbox = await startGoogleAdsSandbox({
      anchorDate: options.anchorDate, seed: 42, accessToken, oddValues,
      ...(throttle ? { throttle } : {}),
      ...(options.port === undefined ? {} : { port: options.port }), faults: options.faults ?? noFaults,
    });
    return {
      sandbox: { ...sandbox, port: portOf(sandbox.url) },
      source: {
        id: 'google_ads', type: 'google_ads', customerIds: [...sandbox.customerIds], loginCustomerId: sandboxManagerCustomerId,
        endpoint: sandbox.url, auth: { type: 'access_token', secret: 'chaos/google_ads' }, backfillDays: options.backfillDays ?? 28, chunkDays, lookbackDays: 14,
      },
      secrets: { 'chaos/google_ads': JSON.stringify({ access_token: accessToken, developer_token: developerToken }) },
      vendorThrottle: throttle ? '429 RESOURCE_TEMPORARILY_EXHAUSTED (retryDelay 1s) every 5th request' : undefined,
    };
  },
};

/** Meta insights as async report runs (windows over 5 days), cursor-paged; fast polls and short throttle waits. */
const meta: ChaosTarget = {
  type: 'meta', sourceId: 'meta', connector: metaConnector as unknown as Connector, credentialNames: ['access_token'],
  async start(options) {
    const accessToken = credential(options, 'access_token', 'meta-token-0000');
    const throttle = options.vendorThrottle ? { everyNthRequest: 9, code: 80000 as const } : undefined;
    const sandbox = await startMetaSandbox({
      anchorDate: options.anchorDate, seed: 42, accessToken, oddValues, accountIds: defaultSandboxAccountIds, asyncPollsToComplete: 2,
      ...(throttle ? { throttle } : {}),
      ...(options.port === undefined ? {} : { port: options.port }), faults: options.faults ?? noFaults,
    });
    return {
      sandbox: { ...sandbox, port: portOf(sandbox.url) },
      source: {
        id: 'meta', type: 'meta', accountIds: sandbox.accountIds.map((id) => `act_${id}`), endpoint: sandbox.url,
        auth: { type: 'access_token', secret: 'chaos/meta' }, backfillDays: options.backfillDays ?? 28, chunkDays, lookbackDays: 7,
        asyncThresholdDays: 5, pageSize: 25,
        rateLimit: { fallbackWaitSeconds: 1, pauseSeconds: 0.2 },
        asyncPoll: { firstDelaySeconds: 0.02, maxDelaySeconds: 0.1 },
      },
      secrets: { 'chaos/meta': accessToken },
      vendorThrottle: throttle ? 'code 80000 (ads_insights) with usage headers every 9th request' : undefined,
    };
  },
};

/** LinkedIn with a refresh token: the connector mints its access token at the sandbox's token endpoint. */
const linkedin: ChaosTarget = {
  type: 'linkedin', sourceId: 'linkedin', connector: linkedinConnector as unknown as Connector,
  credentialNames: ['client_id', 'client_secret', 'refresh_token'],
  async start(options) {
    const oauthClient = {
      clientId: credential(options, 'client_id', 'li-client-0000'),
      clientSecret: credential(options, 'client_secret', 'li-secret-0000'),
      refreshToken: credential(options, 'refresh_token', 'li-refresh-0000'),
    };
    const throttle = options.vendorThrottle ? { everyNthRequest: 6 } : undefined;
    const sandbox = await startLinkedinSandbox({
      anchorDate: options.anchorDate, seed: 42, oauthClient, oddValues,
      ...(throttle ? { throttle } : {}),
      ...(options.port === undefined ? {} : { port: options.port }), faults: options.faults ?? noFaults,
    });
    return {
      sandbox: { ...sandbox, port: portOf(sandbox.url) },
      source: {
        id: 'linkedin', type: 'linkedin', accountIds: [LINKEDIN_SANDBOX_ACCOUNT_ID], endpoint: sandbox.url, tokenUrl: sandbox.tokenUrl,
        auth: { type: 'oauth_refresh_token', secret: 'chaos/linkedin' }, backfillDays: options.backfillDays ?? 28, chunkDays, pageSize: 2, lookbackDays: 7,
      },
      secrets: {
        'chaos/linkedin': JSON.stringify({ client_id: oauthClient.clientId, client_secret: oauthClient.clientSecret, refresh_token: oauthClient.refreshToken }),
      },
      vendorThrottle: throttle ? '429 TOO_MANY_REQUESTS (no Retry-After, as LinkedIn) every 6th request' : undefined,
    };
  },
};

/** TikTok integrated reports: page/page_size paging (small pages), return codes inside HTTP 200. */
const tiktok: ChaosTarget = {
  type: 'tiktok', sourceId: 'tiktok', connector: tiktokConnector as unknown as Connector, credentialNames: ['access_token'],
  async start(options) {
    const accessToken = credential(options, 'access_token', 'tiktok-token-0000');
    const throttle = options.vendorThrottle ? { everyNthRequest: 6 } : undefined;
    const sandbox = await startTiktokSandbox({
      anchorDate: options.anchorDate, seed: 42, accessToken, oddValues, advertiserIds: [TIKTOK_SANDBOX_ADVERTISER_ID],
      ...(throttle ? { throttle } : {}),
      ...(options.port === undefined ? {} : { port: options.port }), faults: options.faults ?? noFaults,
    });
    return {
      sandbox: { ...sandbox, port: portOf(sandbox.url) },
      source: {
        id: 'tiktok', type: 'tiktok', advertiserIds: [TIKTOK_SANDBOX_ADVERTISER_ID], endpoint: sandbox.url,
        auth: { type: 'access_token', secret: 'chaos/tiktok' }, backfillDays: options.backfillDays ?? 28, chunkDays, pageSize: 10, lookbackDays: 7,
      },
      secrets: { 'chaos/tiktok': accessToken },
      vendorThrottle: throttle ? 'code 40100 "Too many requests" (HTTP 200) every 6th request' : undefined,
    };
  },
};

/**
 * Salesforce (jsforce) with the OAuth password grant: REST queries paged by 200, Bulk API 2.0 for the
 * larger objects. Its sandbox takes no `faults` option: it gets the plan as the process plan while
 * it starts (listenOnLoopback reads it synchronously). Vendor throttling: a small daily API limit,
 * so a run stops cleanly past the usage share and the next "day" continues.
 */
const salesforce: ChaosTarget = {
  type: 'salesforce', sourceId: 'crm', connector: salesforceConnector as unknown as Connector,
  credentialNames: ['client_id', 'client_secret', 'username', 'password', 'security_token'],
  async start(options) {
    const oauth = {
      clientId: credential(options, 'client_id', 'sf-client-0000'),
      clientSecret: credential(options, 'client_secret', 'sf-secret-0000'),
      username: credential(options, 'username', 'chaos@example.com'),
      password: credential(options, 'password', 'sf-password-0000'),
      securityToken: credential(options, 'security_token', 'sf-token-0000'),
    };
    setProcessFaultPlan(options.faults ?? noFaults);
    const starting = startSalesforceSandbox({
      // At least 28 days of org history, so every object has records.
      anchorDate: options.anchorDate, seed: 42, historyDays: Math.max(options.backfillDays ?? 28, 28), oauth, oddValues,
      ...(options.port === undefined ? {} : { port: options.port }),
    });
    setProcessFaultPlan(undefined);
    const sandbox = await starting;
    const dailyLimit = options.vendorThrottle ? 40 : undefined;
    if (dailyLimit !== undefined) sandbox.setDailyApiLimit(dailyLimit);
    return {
      sandbox: { ...sandbox, port: portOf(sandbox.url) },
      source: {
        id: 'crm', type: 'salesforce', instanceUrl: sandbox.instanceUrl, loginUrl: sandbox.instanceUrl,
        auth: { type: 'username_password', secret: 'chaos/crm' }, pageSize: 200, bulkThreshold: 400, bulkPageSize: 300, bulkPollIntervalMs: 20,
      },
      secrets: {
        'chaos/crm': JSON.stringify({
          client_id: oauth.clientId, client_secret: oauth.clientSecret, username: oauth.username, password: oauth.password, security_token: oauth.securityToken,
        }),
      },
      vendorThrottle: dailyLimit === undefined ? undefined : `a daily API limit of ${dailyLimit} requests (the run stops at 80% of it; the next day continues)`,
      ...(dailyLimit === undefined ? {} : { nextDay: () => sandbox.resetApiUsage() }),
    };
  },
};

export const chaosTargets: readonly ChaosTarget[] = [ga4, googleAds, meta, linkedin, tiktok, salesforce];

export function targetByType(type: string): ChaosTarget {
  const target = chaosTargets.find((t) => t.type === type);
  if (!target) throw new Error(`no chaos target for source type ${type}; known: ${chaosTargets.map((t) => t.type).join(', ')}`);
  return target;
}
