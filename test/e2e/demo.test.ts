import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, eachDay } from '../../core/dates.ts';
import { trafficFactsFor } from '../../connectors/ga4/sandbox/seed-data.ts';
import { runKpi, type CliResult } from '../support/run-cli.ts';
import { tempDirs } from '../support/temp-dir.ts';

// `kpi demo --as-of 2026-11-22` starts the GA4 sandbox with "today" = 2026-11-23 (seed 42) and syncs
// the 90 days 2026-08-25 … 2026-11-22. The planted dip covers the ISO week 2026-11-16 … 2026-11-22.
const asOf = '2026-11-22';
const seed = { seed: 42, anchorDate: '2026-11-23' };
const days = [...eachDay(addDays(asOf, -89), asOf)];
const timeout = 60_000;

const dirs = tempDirs('kpi-demo-e2e-');
let dataDir = '';
let firstRun: CliResult;

beforeAll(async () => {
  dataDir = await dirs.make();
  firstRun = await runKpi(['demo', '--data-dir', dataDir, '--as-of', asOf]);
}, timeout);

afterAll(async () => {
  await dirs.removeAll();
});

async function queryJson(sql: string): Promise<Array<Record<string, unknown>>> {
  const result = await runKpi(['query', sql, '--format', 'json', '--data-dir', dataDir]);
  if (result.code !== 0) throw new Error(`kpi query exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Array<Record<string, unknown>>;
}

const countsSql = `select (select count(*) from ga4_traffic_daily) as traffic, (select count(*) from ga4_events_daily) as events,
  (select count(*) from kpi_snapshots) as snapshots, (select count(*) from ad_performance_daily) as ads,
  (select round(sum(spend_reporting), 2) from ad_performance_daily) as ad_spend,
  (select count(*) from salesforce_opportunity_latest) as opportunities, (select count(*) from salesforce_lead) as lead_versions`;

const stackLine = /^\s+at /m;

describe('kpi demo (the real CLI, spawned)', () => {
  it('exits 0 and prints the summary sections', () => {
    expect(firstRun.stderr).not.toMatch(stackLine);
    expect(firstRun.code).toBe(0);
    expect(firstRun.stdout).toContain(`Syncing into ${path.join(dataDir, 'lake')} (through ${asOf})`);
    expect(firstRun.stdout).toMatch(/^ {2}web +ga4_traffic_daily +[\d,]+ rows +90 files {2}2026-08-25 … 2026-11-22$/m);
    expect(firstRun.stdout).toContain(`Goals (as of ${asOf})`);
    expect(firstRun.stdout).toMatch(/^ {2}BEHIND +Conversion rate +[\d.]+% vs ≥ 2\.5% +week 2026-11-16…2026-11-22 +owner 김지은$/m);
    // A digest for each recipient, and the weekly scorecard (2026-11-22 is the week's last day)
    expect(firstRun.stdout).toMatch(/^Emails: 4 sent via outbox /m);
    expect(firstRun.stdout).toMatch(/^Tables$/m);
    expect(firstRun.stdout).toMatch(/^ {2}ga4_traffic_daily +[\d,]+ rows +90 partitions$/m);
  }, timeout);

  it('writes 90 daily partitions for each GA4 table', async () => {
    for (const table of ['ga4_traffic_daily', 'ga4_events_daily']) {
      const partitions = (await readdir(path.join(dataDir, 'lake', 'raw', table))).sort();
      expect(partitions).toEqual(days.map((d) => `dt=${d}`));
    }
  }, timeout);

  it('answers kpi query with exactly the seed rows', async () => {
    // Prepare
    const expected = days.reduce((n, day) => n + trafficFactsFor(day, seed).length, 0);

    // Act
    const rows = await queryJson('select count(*) as n from ga4_traffic_daily');

    // Assess
    expect(rows).toEqual([{ n: expected }]);
  }, timeout);

  it('stores the weekly conversion rate of the dip week below the 2.5% goal', async () => {
    // Prepare: Σ key events / Σ sessions over the dip week, from the seed data.
    const week = [...eachDay('2026-11-16', '2026-11-22')].flatMap((d) => trafficFactsFor(d, seed));
    const keyEvents = week.reduce((n, f) => n + f.keyEvents, 0);
    const sessions = week.reduce((n, f) => n + f.sessions, 0);

    // Act
    const rows = await queryJson(`select period_end, value, numerator, denominator, gate_volume from kpi_snapshots
      where dt = '${asOf}' and kpi_id = 'conversion_rate' and grain = 'week' and segment_value is null and period_start = DATE '2026-11-16'`);

    // Assess
    expect(rows).toEqual([{ period_end: '2026-11-22', value: keyEvents / sessions, numerator: keyEvents, denominator: sessions, gate_volume: sessions }]);
    expect(rows[0]!.value as number).toBeLessThan(0.025);
  }, timeout);

  it('writes a digest with charts and a scorecard per recipient, each .eml with an .html preview', async () => {
    // Prepare: the breached weekly conversion-rate goal goes to both recipients of the example config.
    const outbox = path.join(dataDir, 'outbox');

    // Act
    const files = (await readdir(outbox)).sort();
    // skipImageLinks: keep the cid: references as sent, rather than mailparser's data: URLs
    const parsed = await simpleParser(await readFile(path.join(outbox, `${asOf}-jieun-kim-example-com.eml`)), { skipImageLinks: true });
    const preview = await readFile(path.join(outbox, `${asOf}-jieun-kim-example-com.html`), 'utf8');

    // Assess
    expect(files).toEqual([
      `${asOf}-alex-park-example-com.eml`, `${asOf}-alex-park-example-com.html`,
      `${asOf}-jieun-kim-example-com.eml`, `${asOf}-jieun-kim-example-com.html`,
      `${asOf}-scorecard-alex-park-example-com.eml`, `${asOf}-scorecard-alex-park-example-com.html`,
      `${asOf}-scorecard-jieun-kim-example-com.eml`, `${asOf}-scorecard-jieun-kim-example-com.html`,
    ]);
    expect(parsed.subject).toMatch(/^\[KPI\] /);
    expect(parsed.subject).toMatch(/[가-힣]/);
    expect((parsed.to as AddressObject).value.map((a) => a.address)).toEqual(['jieun.kim@example.com']);
    // every chart is an inline PNG the HTML points to; the preview carries the same images inline
    const charts = parsed.attachments.filter((a) => a.contentType === 'image/png');
    expect(charts.length).toBeGreaterThan(0);
    for (const chart of charts) expect(parsed.html).toContain(`cid:${chart.cid}`);
    expect(preview.replace(/data:image\/png;base64,[A-Za-z0-9+/=]+/g, 'IMG')).toBe((parsed.html as string).replace(/cid:[^"]+/g, 'IMG'));
  }, timeout);

  it('catches the planted dip as one anomaly, and fires on no normal day', async () => {
    // Prepare / Act: the alert engine's events, as the BI tools see them
    const anomalies = await queryJson("select alert_key, to_status, period_start from alert_events where kind = 'anomaly' order by period_start");
    // Assess: the conversion-rate anomaly rule fires once, on the last day (in the dip), and nothing before it
    expect(anomalies).toEqual([{ alert_key: 'conversion-rate-anomaly|anomaly|all', to_status: 'firing', period_start: asOf }]);
  }, timeout);

  it('answers the unified ad query for all four platforms, and has the ad KPIs overall and per platform', async () => {
    // Prepare / Act
    const spend = await queryJson('select platform, sum(spend_reporting) as spend from ad_performance_daily group by 1 order by 1');
    const kpis = await queryJson(`select kpi_id, coalesce(segment_value, 'all') as segment, count(*) as weeks from kpi_snapshots
      where grain = 'week' and kpi_id in ('ctr', 'cpa', 'roas', 'channel_spend_share') group by 1, 2 order by 1, 2`);
    // Assess: LinkedIn's USD spend is converted (≈ US$150–185 a day × 1,380 ≫ US$ amounts)
    expect(spend.map((r) => r.platform)).toEqual(['google_ads', 'linkedin', 'meta', 'tiktok']);
    expect(spend.every((r) => Number(r.spend) > 0)).toBe(true);
    const linkedinDaily = Number(spend.find((r) => r.platform === 'linkedin')!.spend) / 90;
    expect(linkedinDaily).toBeGreaterThan(140 * 1380);
    expect(linkedinDaily).toBeLessThan(200 * 1380);
    const segmentsOf = (kpi: string) => kpis.filter((r) => r.kpi_id === kpi).map((r) => r.segment);
    expect(segmentsOf('roas')).toEqual(['all', 'google_ads', 'linkedin', 'meta', 'tiktok']);
    expect(segmentsOf('channel_spend_share')).toEqual(['google_ads', 'linkedin', 'meta', 'tiktok']);
    expect(kpis.every((r) => Number(r.weeks) === 12)).toBe(true);
  }, timeout);

  it('syncs the CRM: the _latest views answer and the CRM KPIs are in the snapshot', async () => {
    // Prepare / Act
    const [latest] = await queryJson('select count(*) as n, count(distinct id) as ids from salesforce_opportunity_latest');
    const crm = await queryJson(`select kpi_id, count(*) as months from kpi_snapshots
      where grain = 'month' and segment_value is null and kpi_id in ('leads', 'win_rate', 'revenue', 'revenue_growth_mom', 'cac', 'marketing_roi')
      group by 1 order by 1`);
    // Assess: one row per opportunity; the KPIs for the complete months of the snapshot's history
    expect(Number(latest!.n)).toBeGreaterThan(100);
    expect(latest!.n).toBe(latest!.ids);
    expect(crm.map((r) => r.kpi_id)).toEqual(['cac', 'leads', 'marketing_roi', 'revenue', 'revenue_growth_mom', 'win_rate']);
    expect(crm.every((r) => Number(r.months) >= 2)).toBe(true);
  }, timeout);

  it('changes no row count when the demo runs again into the same data dir', async () => {
    // Prepare
    const [before] = await queryJson(countsSql);

    // Act
    const again = await runKpi(['demo', '--data-dir', dataDir, '--as-of', asOf]);
    const [after] = await queryJson(countsSql);

    // Assess: the rerun re-reads only the 3-day lookback and replaces those partitions.
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^ {2}web +ga4_traffic_daily +[\d,]+ rows +3 files {2}2026-11-20 … 2026-11-22$/m);
    // nothing changed, so nothing new is sent: no digest, no second scorecard
    expect(again.stdout).toMatch(/^Emails: 0 sent via outbox /m);
    expect(after).toEqual(before);
    expect(Number(before!.traffic)).toBeGreaterThan(0);
    expect(Number(before!.ads)).toBe(630);
    expect(Number(before!.snapshots)).toBeGreaterThan(0);
  }, timeout);
});

describe('kpi errors (the real CLI, spawned)', () => {
  it('validate exits 2 and lists every problem path, without a stack trace', async () => {
    // Prepare
    const config = path.join(dataDir, 'bad.yaml');
    await writeFile(config, [
      'version: 2',
      'sources:',
      '  - id: Web',
      '    type: ga4',
      '    propertyId: abc',
      '    sandbox: {}',
      'goals:',
      '  - id: conv',
      '    kpi: conversion_rate',
      '    direction: up',
      '    owner: 김지은',
      '    recipients: [jieun.kim@example.com]',
      'email: {}',
      '',
    ].join('\n'));

    // Act
    const result = await runKpi(['validate', '-c', config]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`kpi: ${config}: 6 problems`);
    for (const problem of ['version', 'sources[0].id', 'sources[0].propertyId', 'goals[0].target', 'goals[0].direction', 'email.from']) {
      expect(result.stderr).toContain(`  - ${problem}: `);
    }
    expect(result.stderr).not.toMatch(stackLine);
  }, timeout);

  it('query on an unknown table exits non-zero with the message and no stack trace', async () => {
    // Act
    const result = await runKpi(['query', 'select * from no_such_table', '--data-dir', dataDir]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^kpi: query failed: Catalog Error: Table with name no_such_table does not exist!/);
    expect(result.stderr).not.toMatch(stackLine);
  }, timeout);
});
