import { describe, expect, it } from 'vitest';
import type { StreamDefinition } from '../../core/connector.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { readStreamState } from '../../core/lake/state-store.ts';
import { silentLogger } from '../../core/log.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { QueryRow } from '../../core/query/query-engine.ts';
import { rejectsTable } from '../../core/sync/rejects.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import { syncStream, type StreamSyncResult } from '../../core/sync/sync-stream.ts';
import { SalesforceSourceConfig } from '../../connectors/salesforce/config.ts';
import { salesforceConnector } from '../../connectors/salesforce/index.ts';
import { snakeCase, tableNameOf } from '../../connectors/salesforce/names.ts';
import { sandboxFields, type SandboxObjectName } from '../../connectors/salesforce/sandbox/describe.ts';
import type { SandboxRecord } from '../../connectors/salesforce/sandbox/seed-data.ts';
import {
  SALESFORCE_SANDBOX_ODDITIES, salesforceSandboxOddity, startSalesforceSandbox, type RunningSalesforceSandbox, type SalesforceOddity,
} from '../../connectors/salesforce/sandbox/server.ts';
import { lakeFixture } from '../support/lake-fixture.ts';

// The sandbox's "today"; 45 days of seeded history; about one record in 3 carries an oddity.
const anchorDate = '2026-10-16';
const every = 3;
const objects: readonly SandboxObjectName[] = ['Lead', 'Contact', 'Account', 'Opportunity', 'OpportunityHistory', 'Campaign', 'CampaignMember', 'User'];

const fixture = lakeFixture('kpi-salesforce-odd-');

async function oddSandbox(): Promise<RunningSalesforceSandbox> {
  const started = await startSalesforceSandbox({ seed: 42, anchorDate, historyDays: 45, oddValues: every });
  fixture.afterTest(started);
  return started;
}

function streamsFor(sf: RunningSalesforceSandbox, overrides: Record<string, unknown> = {}): readonly StreamDefinition[] {
  const config = SalesforceSourceConfig.parse({
    id: 'crm', type: 'salesforce', instanceUrl: sf.instanceUrl, loginUrl: sf.instanceUrl,
    auth: { type: 'access_token', secret: 'sf/crm' }, bulkPollIntervalMs: 10, pageSize: 200, ...overrides,
  });
  const secrets = new LayeredSecretStore({ 'sf/crm': sf.accessToken }, new LocalSecretStore({ env: {} }));
  return salesforceConnector.streams(config, { secrets, log: silentLogger });
}

const lake = fixture.lake;

async function syncAll(store: LocalFolderStore, streams: readonly StreamDefinition[], runId: string): Promise<Record<string, StreamSyncResult>> {
  const results: Record<string, StreamSyncResult> = {};
  for (const stream of streams) {
    results[stream.table.name] = await syncStream({ store, sourceId: 'crm', stream, runId, lastCompleteDay: '2026-10-15', initialFrom: '2026-09-01', log: silentLogger });
  }
  return results;
}

async function engineFor(root: string): Promise<DuckDbEngine> {
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: [...salesforceConnector.tables, rejectsTable], views: salesforceConnector.views });
  fixture.afterTest(engine);
  return engine;
}

/** Oddities whose record has no readable version (Id or SystemModstamp): a re-read cannot tell it was quarantined before. */
const noVersion = new Set(['an Id that is not 15 or 18 characters', 'no Id', 'SystemModstamp written the US way (MM/DD/YYYY h:mm AM)', 'SystemModstamp null']);
const unreadableModstamp = new Set(['SystemModstamp written the US way (MM/DD/YYYY h:mm AM)', 'SystemModstamp null']);

/** The first describe field of one of these types: the one an oddity changes (the connector selects every field but compound ones). */
function firstField(object: SandboxObjectName, types: readonly string[]): string {
  return sandboxFields[object].find((f) => types.includes(f.type))!.name;
}

/** The field a rejected oddity's reason names. */
function rejectedField(object: SandboxObjectName, oddity: SalesforceOddity): string {
  switch (oddity.name) {
    case 'text in a number field': return firstField(object, ['int', 'double', 'currency', 'percent']);
    case 'a date as DD/MM/YYYY': return firstField(object, ['date']);
    case 'a boolean that is "yes"': return firstField(object, ['boolean']);
    case 'a reference that is not a record Id': return 'CreatedById';
    case 'CreatedDate as a date without its time': return 'CreatedDate';
    default: return unreadableModstamp.has(oddity.name) ? 'SystemModstamp' : 'Id';
  }
}

interface Expected {
  readonly records: ReadonlyArray<{ readonly record: SandboxRecord; readonly oddity: SalesforceOddity | undefined }>;
  readonly kept: readonly SandboxRecord[];
  readonly rejected: readonly SandboxRecord[];
  /** The newest SystemModstamp the connector can read. */
  readonly cursor: string;
}

/** What the connector should make of each object's records as they are now, from the oddity each carries. */
function expectations(sf: RunningSalesforceSandbox): Record<SandboxObjectName, Expected> {
  return Object.fromEntries(objects.map((object) => {
    const records = sf.records(object).map((record) => ({ record, oddity: salesforceSandboxOddity(object, String(record.Id), every) }));
    const readable = records.filter((r) => !unreadableModstamp.has(r.oddity?.name ?? '')).map((r) => String(r.record.SystemModstamp)).sort();
    return [object, {
      records,
      kept: records.filter((r) => !r.oddity?.rejected).map((r) => r.record),
      rejected: records.filter((r) => r.oddity?.rejected).map((r) => r.record),
      cursor: readable.at(-1)!,
    }];
  })) as unknown as Record<SandboxObjectName, Expected>;
}

/** Records whose SystemModstamp the next read returns: after floor(cursor − 300 s overlap). */
function inOverlap(records: readonly SandboxRecord[], cursor: string): SandboxRecord[] {
  const bound = Math.floor((Date.parse(cursor) - 300_000) / 1000) * 1000;
  return records.filter((r) => Date.parse(String(r.SystemModstamp)) > bound);
}

/** `id|epoch ms` of every row of a raw table. */
async function versionsIn(engine: DuckDbEngine, table: string): Promise<string[]> {
  const rows = await engine.query(`SELECT id, epoch_ms(system_modstamp) AS ms FROM ${table}`);
  return rows.map((r) => `${String(r.id)}|${Number(r.ms)}`).sort();
}

const versionKey = (record: SandboxRecord) => `${String(record.Id)}|${Date.parse(String(record.SystemModstamp))}`;

/** The record Id a REST record's `attributes.url` names (its Id field may be the odd one). */
function restIdOf(rawPayload: unknown): string {
  const raw = JSON.parse(String(rawPayload)) as { attributes: { url: string } };
  return raw.attributes.url.replace(/^.*\//, '');
}

describe('Salesforce records with odd values (REST queryAll JSON and Bulk API 2.0 CSV)', () => {
  it('coerces what the contract allows, quarantines the rest in _rejects with the raw record, keeps the cursor honest and loses nothing on re-reads (REST)', async () => {
    // Prepare
    const sf = await oddSandbox();
    const { root, store } = await lake();
    const streams = streamsFor(sf);
    const expected = expectations(sf);
    const oddCount = objects.reduce((n, o) => n + expected[o].records.filter((r) => r.oddity).length, 0);
    const rejectedCount = objects.reduce((n, o) => n + expected[o].rejected.length, 0);

    // Act 1: the first sync reads the whole history.
    const first = await syncAll(store, streams, 'run1');
    const served = sf.oddRowsServed();
    const engine = await engineFor(root);

    // Assess 1: every oddity was served, REST pages each once.
    expect(Object.keys(served.byName).sort()).toEqual(SALESFORCE_SANDBOX_ODDITIES.map((o) => o.name).sort());
    expect(served).toMatchObject({ total: oddCount, rejected: rejectedCount });
    for (const object of objects) {
      const table = tableNameOf(object);
      const { kept, rejected, cursor } = expected[object];
      expect(first[table], table).toMatchObject({ status: 'ok', rows: kept.length, rejected: rejected.length, cursor });
      expect((await readStreamState(store, 'crm', table))?.cursor).toBe(cursor);
      // Every kept record landed as its true version: a 15-character Id as its 18-character form, a +09:00 SystemModstamp as UTC.
      expect(await versionsIn(engine, table), table).toEqual(kept.map(versionKey).sort());
    }
    // OpportunityHistory's newest record has a SystemModstamp no contract reads: the cursor stays on the newest it can read.
    const history = expected.OpportunityHistory;
    const newestHistory = history.records.reduce((a, b) => (String(b.record.SystemModstamp) > String(a.record.SystemModstamp) ? b : a));
    expect(newestHistory.oddity?.name).toBe('SystemModstamp written the US way (MM/DD/YYYY h:mm AM)');
    expect(first.salesforce_opportunity_history!.cursor! < String(newestHistory.record.SystemModstamp)).toBe(true);

    // _rejects through DuckDB: each rejected record once, with the field at fault and the raw REST record.
    const rejects = await engine.query(`SELECT source_id, stream, field, reason, raw_payload, run_id FROM "_rejects" ORDER BY stream, reason`);
    expect(rejects).toHaveLength(rejectedCount);
    expect(new Set(rejects.map((r) => `${String(r.source_id)}/${String(r.run_id)}`))).toEqual(new Set(['crm/run1']));
    const expectedRejects = objects.flatMap((object) => expected[object].records.filter((r) => r.oddity?.rejected)
      .map((r) => `${tableNameOf(object)}|${rejectedField(object, r.oddity!)}|${String(r.record.Id)}`)).sort();
    expect(rejects.map((r) => `${String(r.stream)}|${String(r.field)}|${restIdOf(r.raw_payload)}`).sort()).toEqual(expectedRejects);
    expect(rejects.filter((r) => r.field === 'SystemModstamp').map((r) => String(r.reason)).every((reason) =>
      /^Salesforce field SystemModstamp \(datetime\) cannot be read as timestamp: "\d\d\/\d\d\/2026 \d{1,2}:\d\d [AP]M"$/.test(reason) ||
      /^Salesforce \w+ record \w{18} has no SystemModstamp$/.test(reason))).toBe(true);
    expect(rejects.filter((r) => r.field === 'Id').map((r) => String(r.reason)).every((reason) =>
      /^Salesforce field Id \(id\) is not a 15- or 18-character record Id: "\w{12}"$/.test(reason) || /^Salesforce \w+ record has no Id$/.test(reason))).toBe(true);
    const textInNumber = rejects.find((r) => String(r.reason).endsWith(': "미정"'))!;
    expect(textInNumber.reason).toMatch(/^Salesforce field \w+ \((currency|double|percent|int)\) cannot be read as (double|int64): "미정"$/);
    expect(JSON.parse(String(textInNumber.raw_payload))).toMatchObject({ attributes: { type: expect.any(String), url: expect.any(String) }, Id: expect.any(String) });

    // Korean, emoji and 100,000-character text survive; undocumented fields add no column.
    for (const object of objects) {
      const table = tableNameOf(object);
      const column = snakeCase(firstField(object, ['string', 'textarea', 'picklist']));
      const named = (name: string) => expected[object].records.filter((r) => r.oddity?.name === name).length;
      const [text] = await engine.query(
        `SELECT count(*) FILTER (WHERE ${column} LIKE '%🎉 한글 레코드') AS korean, count(*) FILTER (WHERE ${column} = repeat('가', 100000)) AS long,
                count(*) FILTER (WHERE created_date IS NULL) AS no_created_date FROM ${table}`,
      );
      expect([Number(text!.korean), Number(text!.long), Number(text!.no_created_date)], table)
        .toEqual([named('Korean and emoji in a text field'), named('a 100,000-character Korean text'), named('CreatedDate left out')]);
    }
    const undocumented = await engine.query(`SELECT count(*) AS n FROM information_schema.columns WHERE column_name IN ('loyalty_tier__c', 'score__c', 'owner')`);
    expect(Number(undocumented[0]!.n)).toBe(0);

    // Act 2: a rerun without changes.
    const second = await syncAll(store, streams, 'run2');

    // Assess 2: nothing written again; quarantined versions are recognised, except records without a readable
    // Id or SystemModstamp inside the overlap: those are quarantined again (a log), never dropped.
    for (const object of objects) {
      const table = tableNameOf(object);
      const again = inOverlap(expected[object].records.filter((r) => noVersion.has(r.oddity?.name ?? '')).map((r) => r.record), expected[object].cursor);
      expect(second[table], table).toMatchObject({ status: 'ok', rows: 0, rejected: again.length, cursor: expected[object].cursor });
    }

    // Act 3: the org changes (the unreadable OpportunityHistory record among the ones read again), then an incremental sync.
    const before = expected;
    const summary = sf.advance();
    const third = await syncAll(store, streams, 'run3');
    const after = expectations(sf);

    // Assess 3: each changed version lands as a row or in _rejects; the cursor moves to the newest readable one.
    for (const object of objects) {
      const table = tableNameOf(object);
      const changed = new Set(summary.changed[object] ?? []);
      const changedNow = after[object].records.filter((r) => changed.has(String(r.record.Id)));
      const unchangedAgain = inOverlap(before[object].records.filter((r) => !changed.has(String(r.record.Id)) && noVersion.has(r.oddity?.name ?? '')).map((r) => r.record), before[object].cursor);
      expect(third[table], table).toMatchObject({
        status: 'ok', rows: changedNow.filter((r) => !r.oddity?.rejected).length,
        rejected: changedNow.filter((r) => r.oddity?.rejected).length + unchangedAgain.length, cursor: after[object].cursor,
      });
    }

    // Nothing lost: every version ever served is a row, or a record in _rejects.
    const quarantined = new Set((await engine.query(`SELECT DISTINCT stream, raw_payload FROM "_rejects"`)).map((r) => `${String(r.stream)}|${restIdOf(r.raw_payload)}`));
    for (const object of objects) {
      const table = tableNameOf(object);
      const rows = new Set(await versionsIn(engine, table));
      const missing = after[object].records.filter((r) => !rows.has(versionKey(r.record)) && !quarantined.has(`${table}|${String(r.record.Id)}`));
      expect(missing, table).toEqual([]);
    }
  }, 60_000);

  it('gives the same rows, the same _latest tables and the same quarantined records through Bulk API 2.0 CSV as through REST', async () => {
    // Prepare: one org, two lakes; bulkThreshold 0 sends every object through Bulk, 200 rows per results page.
    const sf = await oddSandbox();
    const restLake = await lake();
    const bulkLake = await lake();
    const expected = expectations(sf);

    // Act
    const bulk = await syncAll(bulkLake.store, streamsFor(sf, { bulkThreshold: 0, bulkPageSize: 200 }), 'bulk');
    const servedThroughBulk = sf.oddRowsServed();
    const rest = await syncAll(restLake.store, streamsFor(sf), 'rest');
    const restEngine = await engineFor(restLake.root);
    const bulkEngine = await engineFor(bulkLake.root);

    // Assess
    expect(sf.stats().bulkJobs).toBe(8);
    expect(servedThroughBulk).toMatchObject({
      total: objects.reduce((n, o) => n + expected[o].records.filter((r) => r.oddity).length, 0),
      rejected: objects.reduce((n, o) => n + expected[o].rejected.length, 0),
    });
    for (const object of objects) {
      const table = tableNameOf(object);
      const { kept, rejected, cursor } = expected[object];
      expect(bulk[table], table).toMatchObject({ status: 'ok', rows: kept.length, rejected: rejected.length, cursor });
      expect(rest[table], table).toMatchObject({ status: 'ok', rows: kept.length, rejected: rejected.length, cursor });
      expect((await readStreamState(bulkLake.store, 'crm', table))?.streamState).toMatchObject({ api: 'bulk' });
    }
    const latest = async (engine: DuckDbEngine): Promise<QueryRow> => {
      const [row] = await engine.query(`SELECT ${objects.map((o) => `(SELECT list(t ORDER BY t.id, t.system_modstamp) FROM (SELECT * EXCLUDE (synced_at) FROM ${tableNameOf(o)}) AS t) AS ${tableNameOf(o)}`).join(', ')}`);
      return row!;
    };
    const restRows = await latest(restEngine);
    expect(Object.values(restRows).every((rows) => typeof rows === 'string' && rows.length > 100)).toBe(true);
    expect(await latest(bulkEngine)).toEqual(restRows);
    const rejectsOf = async (engine: DuckDbEngine) => (await engine.query(`SELECT stream, field, reason FROM "_rejects"`))
      .map((r) => `${String(r.stream)}|${String(r.field)}|${String(r.reason)}`).sort();
    const restRejects = await rejectsOf(restEngine);
    expect(restRejects).toHaveLength(servedThroughBulk.rejected);
    expect(await rejectsOf(bulkEngine)).toEqual(restRejects);
    // Bulk keeps the raw CSV record: every value as text.
    const [csvRecord] = await bulkEngine.query(`SELECT raw_payload FROM "_rejects" WHERE stream = 'salesforce_opportunity' LIMIT 1`);
    expect(Object.values(JSON.parse(String(csvRecord!.raw_payload)) as Record<string, unknown>).every((v) => typeof v === 'string')).toBe(true);
  }, 60_000);
});
