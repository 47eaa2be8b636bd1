import { afterEach, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { tableOf } from '../../connectors/salesforce/tables.ts';
import { kpiById } from '../../core/kpi/catalog.ts';
import { computeSnapshot } from '../../core/kpi/snapshot.ts';
import { appendToPartition } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { silentLogger } from '../../core/log.ts';
import { buildLakeCatalog } from '../../core/models/lake-catalog.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { Row } from '../../core/table/schema.ts';
import { tempDirs } from '../support/temp-dir.ts';

/*
 * New York leaves daylight saving time at 02:00 on Sunday 2026-11-01 (UTC−4 → UTC−5). The ISO week
 * Mon 2026-10-26 … Sun 2026-11-01 has 169 hours there. Leads by CreatedDate (UTC) → New York date:
 *   A 2026-10-26T03:30Z → Oct 25 (Sun, 23:30 EDT)   previous week
 *   B 2026-10-26T05:30Z → Oct 26 (Mon, 01:30 EDT)   this week
 *   C 2026-11-01T05:30Z → Nov 1  (01:30 EDT, before the change)
 *   D 2026-11-01T06:30Z → Nov 1  (01:30 EST, the repeated hour, after the change)
 *   E 2026-11-02T04:30Z → Nov 1  (23:30 EST: still Sunday in New York, Monday in UTC)
 *   F 2026-11-02T05:30Z → Nov 2  (Mon, 00:30 EST)   next week
 * The week of Oct 26 has B, C, D, E = 4 leads; Sunday Nov 1 has 3; the week of Nov 2 has F.
 */
const lead = tableOf('Lead');
const created = ['2026-10-26T03:30:00Z', '2026-10-26T05:30:00Z', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '2026-11-02T04:30:00Z', '2026-11-02T05:30:00Z'];
const leads: Row[] = created.map((at, i) => ({
  ...Object.fromEntries(lead.columns.map((c) => [c.name, null])),
  id: `L${i}`, created_date: at, is_deleted: false, is_converted: false, system_modstamp: '2026-11-09T00:00:00Z',
  modstamp_date: '2026-11-09', source_id: 'crm', synced_at: new Date('2026-11-09T00:00:00Z'),
}));

const dirs = tempDirs('kpi-dst-');
let engine: DuckDbEngine | undefined;
afterEach(async () => {
  await engine?.close();
  await dirs.removeAll();
});

describe('weeks across a daylight-saving change', () => {
  it('count each lead on its New York date, so the DST week holds exactly its own leads', async () => {
    // Prepare
    const root = await dirs.make();
    const store = new LocalFolderStore(root);
    await appendToPartition(store, lead, '2026-11-09', 'crm', '20261109000000', 0, leads);
    engine = await DuckDbEngine.open({ lakeRoot: root, ...buildLakeCatalog(connectors) });
    // Act
    const { rows } = await computeSnapshot({
      engine, store, kpis: [kpiById.get('leads')!], asOf: '2026-11-08', historyDays: 60, log: silentLogger,
      coverage: new Map([['salesforce_lead_latest', { from: '0001-01-01', to: '2026-11-08' }]]),
      context: { microConversionEvents: [], timezone: 'America/New_York' },
    });
    const value = (grain: string, start: string) => rows.find((r) => r.grain === grain && r.period_start === start && r.segment_value === null)?.value;
    // Assess
    expect([value('week', '2026-10-19'), value('week', '2026-10-26'), value('week', '2026-11-02')]).toEqual([1, 4, 1]);
    expect([value('day', '2026-10-25'), value('day', '2026-10-26'), value('day', '2026-11-01'), value('day', '2026-11-02')]).toEqual([1, 1, 3, 1]);
  });

  it('in Asia/Seoul (no DST) the same leads fall on Seoul dates', async () => {
    // Prepare
    const root = await dirs.make();
    const store = new LocalFolderStore(root);
    await appendToPartition(store, lead, '2026-11-09', 'crm', '20261109000000', 0, leads);
    engine = await DuckDbEngine.open({ lakeRoot: root, ...buildLakeCatalog(connectors) });
    // Act
    const { rows } = await computeSnapshot({
      engine, store, kpis: [kpiById.get('leads')!], asOf: '2026-11-08', historyDays: 60, log: silentLogger,
      coverage: new Map([['salesforce_lead_latest', { from: '0001-01-01', to: '2026-11-08' }]]),
      context: { microConversionEvents: [], timezone: 'Asia/Seoul' },
    });
    const value = (start: string) => rows.find((r) => r.grain === 'week' && r.period_start === start && r.segment_value === null)?.value;
    // Assess: UTC+9 — A and B on Oct 26, C and D on Nov 1, E and F on Nov 2
    expect([value('2026-10-26'), value('2026-11-02')]).toEqual([4, 2]);
  });
});
