import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alertEventsTable, appendAlertEvents, type AlertEventRow } from '../../core/alerts/alert-events.ts';
import { alertStateKey, readAlertState, writeAlertState, type AlertStateFile } from '../../core/alerts/alert-state.ts';
import { LakeError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import { tempDirs } from '../support/temp-dir.ts';

const state: AlertStateFile = {
  version: 1,
  updatedAt: '2026-11-23T22:00:00.000Z',
  alerts: {
    'conversion-rate-weekly|threshold|all': {
      status: 'firing', since: '2026-11-23T22:00:00.000Z', firingSince: '2026-11-23T22:00:00.000Z', firingNotified: true,
      lastNotifiedAt: '2026-11-23T22:00:00.000Z', lastNotification: 'firing', lastEvaluatedSnapshot: '2026-11-23',
      lastValue: 0.0141, lastPeriodStart: '2026-11-16', lastPeriodEnd: '2026-11-22',
      acknowledged: { key: 'conversion-rate-weekly', at: '2026-11-23', note: '결제 오류 수정 중' },
    },
    'ga4_traffic_daily|freshness|all': {
      status: 'ok', since: '2026-11-20T22:00:00.000Z', lastEvaluatedSnapshot: '2026-11-23', lastValue: null, lastPeriodStart: null, lastPeriodEnd: null,
    },
  },
};

function event(fields: Partial<AlertEventRow>): AlertEventRow {
  return {
    event_time: new Date('2026-11-23T22:00:00Z'), snapshot_date: '2026-11-23', alert_key: 'conversion-rate-weekly|threshold|all',
    source_kind: 'goal', source_id: 'conversion-rate-weekly', kind: 'threshold', kpi_id: 'conversion_rate', grain: 'week',
    segment_dimension: null, segment_value: null, from_status: 'ok', to_status: 'firing', severity: 'critical',
    period_start: '2026-11-16', period_end: '2026-11-22', value: 0.0141, target: 0.025, notified: true, reason: 'firing', detail: 'confirmed',
    ...fields,
  };
}

describe('alert state file', () => {
  const temps = tempDirs('kpi-alert-state-');
  afterEach(() => temps.removeAll());

  it('round trips through a LocalFolderStore at _state/alerts/state.json', async () => {
    // Prepare
    const root = await temps.make();
    const store = new LocalFolderStore(root);
    // Act
    await writeAlertState(store, state);
    const read = await readAlertState(store);
    // Assess
    expect(read).toStrictEqual(state);
    expect(JSON.parse(await readFile(path.join(root, '_state', 'alerts', 'state.json'), 'utf8'))).toStrictEqual(state);
  });

  it('is undefined when there is no file yet', async () => {
    // Prepare
    const store = new LocalFolderStore(await temps.make());
    // Act
    const read = await readAlertState(store);
    // Assess
    expect(read).toBeUndefined();
  });

  it('a corrupt file is a LakeError that says which file and what to do', async () => {
    // Prepare
    const root = await temps.make();
    await mkdir(path.join(root, '_state', 'alerts'), { recursive: true });
    await writeFile(path.join(root, '_state', 'alerts', 'state.json'), '{"version": 1, "alerts": ');
    const store = new LocalFolderStore(root);
    // Act
    const act = readAlertState(store);
    // Assess
    await expect(act).rejects.toThrow(LakeError);
    await expect(act).rejects.toThrow(`alert state file ${alertStateKey} in ${root} is not valid JSON; delete it to start afresh (every alert still breaching then notifies once more)`);
  });

  it('a file of the wrong shape names the field', async () => {
    // Prepare
    const store = new LocalFolderStore(await temps.make());
    await store.put(alertStateKey, JSON.stringify({ ...state, alerts: { x: { ...state.alerts['ga4_traffic_daily|freshness|all'], status: 'burning' } } }));
    // Act
    const act = readAlertState(store);
    // Assess
    await expect(act).rejects.toThrow(/does not match the expected shape \(.*\bat alerts\.x\.status\); delete it to start afresh/);
  });
});

describe('alert_events table', () => {
  const temps = tempDirs('kpi-alert-events-');
  afterEach(() => temps.removeAll());

  it('appends one file per run under dt=<snapshot date> and DuckDB reads it back', async () => {
    // Prepare
    const root = await temps.make();
    const store = new LocalFolderStore(root);
    const events = [
      event({}),
      event({
        alert_key: 'meta-clicks-wow|change|platform=meta', source_kind: 'rule', source_id: 'meta-clicks-wow', kind: 'change', kpi_id: 'clicks',
        segment_dimension: 'platform', segment_value: 'meta', from_status: 'firing', to_status: 'resolved', severity: 'warning',
        value: 950, target: null, notified: false, reason: 'snoozed', detail: 'snoozed until 2026-11-30',
      }),
    ];
    // Act
    const first = await appendAlertEvents(store, '2026-11-23', '20261123220000', events);
    const empty = await appendAlertEvents(store, '2026-11-23', '20261123230000', []);
    const engine = await DuckDbEngine.open({ lakeRoot: root, tables: [alertEventsTable] });
    try {
      const rows = await engine.query(
        `SELECT event_time, snapshot_date, alert_key, source_kind, source_id, kind, kpi_id, grain, segment_dimension, segment_value,
                from_status, to_status, severity, period_start, period_end, value, target, notified, reason, detail, dt
           FROM alert_events ORDER BY alert_key`,
      );
      // Assess
      expect(first).toMatchObject({ key: 'kpi/alert_events/dt=2026-11-23/events-20261123220000.parquet', rows: 2 });
      expect(empty).toEqual({ key: null, rows: 0, bytes: 0 });
      expect(await store.list('kpi/alert_events/')).toEqual(['kpi/alert_events/dt=2026-11-23/events-20261123220000.parquet']);
      expect(rows).toEqual([
        {
          event_time: '2026-11-23T22:00:00.000Z', snapshot_date: '2026-11-23', alert_key: 'conversion-rate-weekly|threshold|all', source_kind: 'goal',
          source_id: 'conversion-rate-weekly', kind: 'threshold', kpi_id: 'conversion_rate', grain: 'week', segment_dimension: null, segment_value: null,
          from_status: 'ok', to_status: 'firing', severity: 'critical', period_start: '2026-11-16', period_end: '2026-11-22',
          value: 0.0141, target: 0.025, notified: true, reason: 'firing', detail: 'confirmed', dt: '2026-11-23',
        },
        {
          event_time: '2026-11-23T22:00:00.000Z', snapshot_date: '2026-11-23', alert_key: 'meta-clicks-wow|change|platform=meta', source_kind: 'rule',
          source_id: 'meta-clicks-wow', kind: 'change', kpi_id: 'clicks', grain: 'week', segment_dimension: 'platform', segment_value: 'meta',
          from_status: 'firing', to_status: 'resolved', severity: 'warning', period_start: '2026-11-16', period_end: '2026-11-22',
          value: 950, target: null, notified: false, reason: 'snoozed', detail: 'snoozed until 2026-11-30', dt: '2026-11-23',
        },
      ]);
    } finally {
      await engine.close();
    }
  });

  it('refuses a run id that could leave the partition folder', async () => {
    // Prepare
    const store = new LocalFolderStore(await temps.make());
    // Act
    const act = appendAlertEvents(store, '2026-11-23', '../x', [event({})]);
    // Assess
    await expect(act).rejects.toThrow('run id "../x" cannot name an alert_events file; use letters, digits, _ . or -');
  });
});
