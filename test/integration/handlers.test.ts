import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { startGa4Sandbox, type RunningGa4Sandbox } from '../../connectors/ga4/sandbox/server.ts';
import { startGoogleAdsSandbox, type RunningGoogleAdsSandbox } from '../../connectors/google-ads/sandbox/server.ts';
import { parseConfig } from '../../core/config/load-config.ts';
import { addDays, todayIn } from '../../core/dates.ts';
import { OutboxMailer } from '../../core/email/outbox-mailer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { silentLogger } from '../../core/log.ts';
import { buildLakeCatalog } from '../../core/models/lake-catalog.ts';
import { runNotify } from '../../core/pipeline/run-notify.ts';
import { runSnapshot } from '../../core/pipeline/run-snapshot.ts';
import { runSync } from '../../core/pipeline/run-sync.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import { LocalSecretStore, LayeredSecretStore } from '../../core/secrets.ts';
import { startAthenaStandIn, type AthenaStandIn } from '../support/athena-standin.ts';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secrets-manager-standin.ts';
import { startSesStandIn, type SesStandIn } from '../support/ses-standin.ts';
import { tempDirs } from '../support/temp-dir.ts';

/**
 * The Lambda handlers in-process (each source's ingest handler of its type, snapshot, notify), on
 * their AWS adapters, against stand-ins on loopback that
 * speak the AWS wire protocols (S3: fauxqs; Athena: DuckDB over the S3 files; SES v2; Secrets
 * Manager), with the vendors' sandboxes as the sources. The same config run locally (folder,
 * DuckDB, outbox) must give the same KPI snapshot and the same emails.
 */
const bucket = 'kpi-lake';
const context = { getRemainingTimeInMillis: () => 900_000 };
const dirs = tempDirs('kpi-handlers-');
let fauxqs: ReturnType<typeof buildApp>;
let athena: AthenaStandIn;
let ses: SesStandIn;
let secretsManager: SecretsManagerStandIn;
let ga4: RunningGa4Sandbox;
let googleAds: RunningGoogleAdsSandbox;
let configFile = '';
let configText = '';

beforeAll(async () => {
  ga4 = await startGa4Sandbox({ seed: 7 });
  googleAds = await startGoogleAdsSandbox({ seed: 7 });
  configText = `version: 1
project: Handler Shop
timezone: Asia/Seoul
currency: KRW
sources:
  - { id: web, type: ga4, propertyId: "123456789", endpoint: "${ga4.url}", auth: { type: access_token, secret: kpi/ga4 }, backfillDays: 35 }
  - { id: google_ads, type: google_ads, customerIds: ["${googleAds.customerIds.join('", "')}"], endpoint: "${googleAds.url}",
      auth: { type: access_token, secret: kpi/google-ads }, backfillDays: 35 }
recipients:
  - { email: jieun.kim@example.com, locale: ko }
goals:
  - { id: conversion-weekly, kpi: conversion_rate, grain: week, target: 0.5, direction: at_least, owner: 김지은, recipients: [jieun.kim@example.com] }
  - { id: cpc-weekly, kpi: cpc, grain: week, target: 1, direction: at_most, owner: 김지은, recipients: [jieun.kim@example.com] }
email: { from: "KPI 알림 <kpi@example.com>" }
`;
  configFile = path.join(await dirs.make(), 'pipeline.yaml');
  await writeFile(configFile, configText);

  fauxqs = buildApp({ logger: false });
  await fauxqs.listen({ port: 0, host: '127.0.0.1' });
  const s3Endpoint = `http://127.0.0.1:${(fauxqs.server.address() as AddressInfo).port}`;
  const s3 = new S3Client({ endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  athena = await startAthenaStandIn({ s3Endpoint, bucket, catalog: buildLakeCatalog(connectors), workGroup: 'kpi', database: 'kpi_lake' });
  ses = await startSesStandIn();
  secretsManager = await startSecretsManagerStandIn({ 'kpi/ga4': ga4.accessToken, 'kpi/google-ads': googleAds.accessToken });

  for (const [name, value] of Object.entries({
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_S3: s3Endpoint, AWS_ENDPOINT_URL_ATHENA: athena.endpoint, AWS_ENDPOINT_URL_SESV2: ses.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint, LAKE_BUCKET: bucket, ATHENA_WORKGROUP: 'kpi', GLUE_DATABASE: 'kpi_lake',
    KPI_CONFIG_FILE: configFile, ATHENA_POLL_MIN_MS: '5', POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true',
  })) vi.stubEnv(name, value);
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([athena?.stop(), ses?.stop(), secretsManager?.stop(), ga4?.stop(), googleAds?.stop(), fauxqs?.close()]);
  await dirs.removeAll();
});

describe('ingest → snapshot → notify through the Lambda handlers', () => {
  it('lands the same KPI snapshot and the same emails as the local run', async () => {
    // Prepare: the handlers read their environment when first imported; each source's function runs its type's ingest handler
    const ingest = { web: await import('../../functions/ingest-ga4.ts'), google_ads: await import('../../functions/ingest-google-ads.ts') };
    const snapshot = await import('../../functions/snapshot.ts');
    const notify = await import('../../functions/notify.ts');

    // Act: what the schedules and the state machine do
    const synced = [];
    for (const source of ['web', 'google_ads'] as const) {
      vi.stubEnv('SOURCE_ID', source);
      synced.push(...(await ingest[source].handler({}, context)).results);
    }
    const snapshotResult = await snapshot.handler({});
    const notified = await notify.handler({ snapshotDate: snapshotResult.snapshotDate });

    // Act: the same config locally
    const local = await localRun();

    // Assess: every stream synced; the secrets came from Secrets Manager
    expect(synced.map((r) => [r.source, r.stream, r.status])).toEqual([
      ['web', 'ga4_traffic_daily', 'ok'], ['web', 'ga4_events_daily', 'ok'], ['google_ads', 'ads_google_campaign_daily', 'ok'],
    ]);
    expect(new Set(secretsManager.requests())).toEqual(new Set(['kpi/ga4', 'kpi/google-ads']));
    // the snapshot: same date, same rows, same values, through Athena (the stand-in) as through DuckDB
    const yesterday = addDays(todayIn('Asia/Seoul'), -1);
    expect(snapshotResult).toMatchObject({ snapshotDate: yesterday, rows: local.snapshotRows.length });
    const athenaRows = await athenaSnapshot(yesterday);
    expect(athenaRows).toEqual(local.snapshotRows);
    expect(athena.queries().some((q) => q.sql.startsWith('CREATE OR REPLACE VIEW ad_performance_daily'))).toBe(true);
    // the emails: SES got the same subjects, to the same people, as the local outbox
    // (a digest, and on the week's last day the scorecard too)
    expect(notified.sent).toEqual(local.sent);
    expect(local.sent.length).toBeGreaterThan(0);
    const subjects = await Promise.all(ses.sent().map(async (mail) => (await simpleParser(mail.raw)).subject));
    expect(subjects).toEqual(local.sent.map((s) => s.subject));
    expect(ses.sent().map((mail) => mail.to)).toEqual(local.sent.map((s) => [s.to]));
  }, 120_000);

  it('stops an ingest handler given a source of another type, before it syncs anything', async () => {
    // Prepare: the GA4 function pointed at the Google Ads source
    const { handler } = await import('../../functions/ingest-ga4.ts');
    vi.stubEnv('SOURCE_ID', 'google_ads');
    // Act
    const error = await handler({}, context).then(() => undefined, (e: unknown) => e as Error);
    // Assess
    expect(error?.name).toBe('UsageError');
    expect(error?.message).toBe('source "google_ads" is a google_ads source; this function is built with the ga4 connector only');
  });
});

async function localRun() {
  const { config, sources } = parseConfig(configText, 'pipeline.yaml', connectors);
  const root = await dirs.make();
  const store = new LocalFolderStore(path.join(root, 'lake'));
  const secrets = new LayeredSecretStore({ 'kpi/ga4': ga4.accessToken, 'kpi/google-ads': googleAds.accessToken }, new LocalSecretStore({ env: {} }));
  const asOf = addDays(todayIn(config.timezone), -1);
  await runSync({ config, sources, store, secrets, log: silentLogger, lastCompleteDay: asOf });
  const catalog = buildLakeCatalog(connectors);
  const engine = await DuckDbEngine.open({ lakeRoot: store.root, ...catalog });
  try {
    const snapshot = await runSnapshot({ config, sources, store, engine, asOf, views: catalog.views, log: silentLogger });
    const notified = await runNotify({ config, snapshot: snapshot.rows, snapshotDate: asOf, mailer: new OutboxMailer(path.join(root, 'outbox')), store, log: silentLogger });
    const snapshotRows = normalise(await engine.query(snapshotSql(asOf)));
    return { snapshotRows, sent: notified.sent.map((s) => ({ to: s.to, subject: s.subject })) };
  } finally {
    await engine.close();
  }
}

const snapshotSql = (date: string) => `SELECT kpi_id, grain, segment_dimension, segment_value, period_start, period_end, value, numerator, denominator
  FROM kpi_snapshots WHERE dt = '${date}' ORDER BY kpi_id, grain, segment_dimension, segment_value, period_start`;

async function athenaSnapshot(date: string) {
  const { AthenaQueryEngine } = await import('../../core/query/athena-engine.ts');
  const engine = new AthenaQueryEngine({ workGroup: 'kpi', database: 'kpi_lake', pollDelayMs: { min: 5, max: 50 } });
  try {
    return normalise(await engine.query(snapshotSql(date)));
  } finally {
    await engine.close();
  }
}

/** Doubles as printed by two engines may differ in the last bits: compare to 9 significant digits. */
function normalise(rows: ReadonlyArray<Record<string, unknown>>) {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(9)) : v])));
}
