import { describe, expect, it } from 'vitest';
import type { StreamDefinition } from '../../core/connector.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { silentLogger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { QueryRow } from '../../core/query/query-engine.ts';
import type { RetryPolicy } from '../../core/retry.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import { syncStream } from '../../core/sync/sync-stream.ts';
import { SalesforceClient } from '../../connectors/salesforce/client.ts';
import { SalesforceSourceConfig } from '../../connectors/salesforce/config.ts';
import { salesforceConnector } from '../../connectors/salesforce/index.ts';
import { readObject } from '../../connectors/salesforce/read-object.ts';
import { startSalesforceSandbox, type RunningSalesforceSandbox } from '../../connectors/salesforce/sandbox/server.ts';
import { parseFaultPlan, type InjectedFault } from '../../connectors/sandbox-kit/faults.ts';
import { lakeFixture } from '../support/lake-fixture.ts';

// Whole syncs (describe, count, REST queryAll pages or a Bulk 2.0 job, lake writes, cursors) under
// body and token-endpoint faults end with exactly the rows of a clean sync of the same org.
const seed = { seed: 42, anchorDate: '2026-10-16', historyDays: 45 };
const fastRetry: RetryPolicy = { attempts: 6, baseDelayMs: 1, maxDelayMs: 5, maxTotalWaitMs: 60_000 };
const fixture = lakeFixture('kpi-salesforce-sync-faults-');

interface Setup {
  readonly objects: readonly string[];
  /** refresh_token signs in at the sandbox's token endpoint (so it sees faults too); access_token does not. */
  readonly auth: 'access_token' | 'refresh_token';
  /** Objects with more rows than this are read through Bulk API 2.0 (Lead has 393 rows here, CampaignMember 283). */
  readonly bulkThreshold: number;
}

/** The connector's streams, read by readObject with a client on a fast retry policy whose waits are recorded, not slept. */
function streamsFor(sf: RunningSalesforceSandbox, setup: Setup, waits: number[]): readonly StreamDefinition[] {
  const config = SalesforceSourceConfig.parse({
    id: 'crm', type: 'salesforce', instanceUrl: sf.instanceUrl, loginUrl: sf.instanceUrl, objects: setup.objects,
    auth: { type: setup.auth, secret: 'sf/crm' }, pageSize: 200, bulkThreshold: setup.bulkThreshold, bulkPageSize: 60, bulkPollIntervalMs: 10,
  });
  const secret = setup.auth === 'access_token' ? sf.accessToken
    : JSON.stringify({ client_id: sf.oauth.clientId, client_secret: sf.oauth.clientSecret, refresh_token: sf.oauth.refreshToken });
  const secrets = new LayeredSecretStore({ 'sf/crm': secret }, new LocalSecretStore({ env: {} }));
  let client: Promise<SalesforceClient> | undefined;
  const getClient = () => (client ??= SalesforceClient.connect({
    sourceId: 'crm', auth: config.auth!, secrets, instanceUrl: config.instanceUrl, loginUrl: config.loginUrl, apiVersion: config.apiVersion,
    log: silentLogger, retryPolicy: fastRetry, sleep: async (ms) => void waits.push(ms),
  }));
  return salesforceConnector.streams(config, { secrets, log: silentLogger }).map((stream, i) => ({
    ...stream, read: (context) => readObject(getClient, config, { object: config.objects[i]!, table: stream.table }, context),
  }));
}

/** Syncs every stream into a new lake and returns each raw table's rows (all but synced_at), ordered. */
async function syncedRows(sf: RunningSalesforceSandbox, setup: Setup, waits: number[] = []): Promise<Record<string, QueryRow[]>> {
  const root = await fixture.dirs.make();
  const store = new LocalFolderStore(root);
  const streams = streamsFor(sf, setup, waits);
  for (const stream of streams) {
    const result = await syncStream({ store, sourceId: 'crm', stream, runId: 'run1', lastCompleteDay: '2026-10-15', initialFrom: '2026-09-01', log: silentLogger });
    expect(result.status).toBe('ok');
  }
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: salesforceConnector.tables, views: salesforceConnector.views });
  fixture.afterTest(engine);
  const rows: Record<string, QueryRow[]> = {};
  for (const { table } of streams) rows[table.name] = await engine.query(`SELECT * EXCLUDE (synced_at) FROM ${table.name} ORDER BY id, system_modstamp`);
  return rows;
}

async function sandbox(faults?: string): Promise<{ sf: RunningSalesforceSandbox; injected: InjectedFault[] }> {
  const injected: InjectedFault[] = [];
  const sf = await startSalesforceSandbox({ ...seed, ...(faults ? { faults: { ...parseFaultPlan(faults), onFault: (f) => injected.push(f) } } : {}) });
  fixture.afterTest(sf);
  return { sf, injected };
}

const kindOf = (f: InjectedFault) => `${f.body ?? f.status} ${f.method} ${f.path.replace(/\/[A-Za-z0-9]{18}(-\d+)?(?=\/|$)/g, '/ID')}`;

describe('Salesforce syncs under faults end with the clean sync\'s rows', () => {
  // Requests per sync: describe (1), COUNT() (2), then REST pages (Lead: 3, 4) or a Bulk job
  // (CampaignMember: create 3, status 4–5, results pages 6…); with refresh_token, the token grant first.
  it.each([
    ['a reset after the headers of a REST queryAll page', { objects: ['Lead'], auth: 'access_token', bulkThreshold: 1000 }, 'fail-on:4@reset', ['reset GET /services/data/v62.0/query/ID']],
    ['a reset during a Bulk 2.0 results download', { objects: ['CampaignMember'], auth: 'access_token', bulkThreshold: 100 }, 'fail-on:7@reset', ['reset GET /services/data/v62.0/jobs/query/ID/results']],
    ['a queryAll page cut short', { objects: ['Lead'], auth: 'access_token', bulkThreshold: 1000 }, 'fail-on:3@truncate', ['truncate GET /services/data/v62.0/queryAll']],
    ['HTML pages with HTTP 200 (describe, Bulk results)', { objects: ['CampaignMember'], auth: 'access_token', bulkThreshold: 100 }, 'fail-on:1@malformed,fail-on:8@malformed',
      ['malformed GET /services/data/v62.0/sobjects/CampaignMember/describe', 'malformed GET /services/data/v62.0/jobs/query/ID/results']],
    ['a 429 with Retry-After from the OAuth token endpoint', { objects: ['Lead'], auth: 'refresh_token', bulkThreshold: 1000 }, '429:0@1s,fail-on:1@429', ['429 POST /services/oauth2/token']],
  ] as const)('%s', async (_name, setup, faults, hits) => {
    // Prepare
    const expected = await syncedRows((await sandbox()).sf, setup);
    const { sf, injected } = await sandbox(faults);
    const waits: number[] = [];

    // Act
    const rows = await syncedRows(sf, setup, waits);

    // Assess
    expect(injected.map(kindOf)).toEqual(hits);
    expect(Object.values(rows).every((r) => r.length > 0)).toBe(true);
    expect(rows).toEqual(expected);
    if (faults.includes('@429')) expect(waits).toEqual([1000]);
  });

  it('every object (REST and Bulk, signing in at the token endpoint) under seeded resets, cut bodies, HTML pages, 429s and 503s', async () => {
    // Prepare
    const setup: Setup = { objects: ['Lead', 'Contact', 'Account', 'Opportunity', 'OpportunityHistory', 'Campaign', 'CampaignMember', 'User'], auth: 'refresh_token', bulkThreshold: 300 };
    const expected = await syncedRows((await sandbox()).sf, setup);
    const { sf, injected } = await sandbox('reset:0.08,truncate:0.08,malformed:0.08,429:0.04@1s,503:0.04@1s,seed:3');

    // Act
    const rows = await syncedRows(sf, setup);

    // Assess
    expect(injected[0]).toMatchObject({ request: 1, status: 429, path: '/services/oauth2/token' });
    const kinds = new Set(injected.map((f) => f.kind));
    expect(['reset', 'truncate', 'malformed', '429', '503'].filter((k) => !kinds.has(k as InjectedFault['kind']))).toEqual([]);
    expect(injected.some((f) => f.path.endsWith('/results'))).toBe(true);
    expect(rows).toEqual(expected);
  });
});
