import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKpi } from '../support/run-cli.ts';

// A source whose sandbox serves odd values (`sandbox: { oddValues }`): what a data engineer sees.
const config = `version: 1
project: Odd values
timezone: Asia/Seoul
currency: KRW
sources:
  - id: web
    type: ga4
    propertyId: "123456789"
    backfillDays: 14
    sandbox: { seed: 42, oddValues: 4 }
recipients:
  - { email: kim@example.com, locale: ko }
email:
  from: "KPI <kpi@example.com>"
`;

describe('kpi sync with a sandbox that serves odd values', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kpi-odd-values-'));
    await writeFile(path.join(dir, 'pipeline.yaml'), config);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reports the quarantined records beside each stream, and they can be queried in "_rejects"', async () => {
    // Prepare: the config above
    const args = ['-c', path.join(dir, 'pipeline.yaml'), '-d', path.join(dir, 'data')];

    // Act
    const sync = await runKpi(['sync', ...args, '--as-of', '2026-10-15']);
    const rejects = await runKpi(['query', 'select stream, field, count(*) as n from "_rejects" group by 1, 2 order by 1, 2', ...args]);

    // Assess
    expect(sync.code).toBe(0);
    const lines = sync.stdout.split('\n').filter((line) => line.includes('REJECTED → _rejects'));
    expect(lines.map((line) => line.trim().split(/\s+/).slice(0, 2))).toEqual([['web', 'ga4_traffic_daily'], ['web', 'ga4_events_daily']]);
    expect(sync.stderr).toContain('rejected → raw/_rejects/');
    expect(rejects.code).toBe(0);
    expect(rejects.stdout).toMatch(/ga4_traffic_daily\s+│?\s*date/);
    expect(rejects.stdout).toMatch(/ga4_events_daily\s+│?\s*date/);
  });
});
