import { describe, expect, it } from 'vitest';
import { planSyncWindow } from '../../core/sync/sync-window.ts';
import { chaosTargets } from '../../scripts/chaos/targets.ts';
import { runChaos, trialProblems, type Baseline } from '../../scripts/chaos/trials.ts';

// The bounded version of `npm run chaos`: one trial, every connector (Salesforce too) in one pipeline.yaml.
const anchorDate = '2026-10-16';

describe('kpi sync killed mid-write, under faults, then run again (every connector)', () => {
  it('ends with the clean run\'s tables row for row after a kill between the files and the cursor (in the middle of writing it)', async () => {
    // Prepare: run 1 dies after the first checkpoint's files, between the cursor's temp file and
    // its rename (the seeded chaos runs kill at every other point); run 2 takes over the dead run's
    // lock and finishes.
    const cursorWrites = (baseline: Baseline) => baseline.trace.filter((t) => t.kind === 'put' && t.key.startsWith('_state/'));
    let firstCursor = '';

    // Act
    const { results, skipped } = await runChaos({
      seed: 11, groups: [chaosTargets], trialsPerGroup: 1, timeBudgetMs: 60_000, concurrency: 1, maxRunsPerTrial: 4,
      faults: '500:0.02,503:0.02@1s,reset:0.02,truncate:0.02,malformed:0.02', vendorThrottleShare: 0, expireShare: 0, secondKillShare: 0,
      anchorDate, backfillDays: 7,
      kills: (baseline) => {
        const [cursor] = cursorWrites(baseline);
        firstCursor = cursor!.key;
        return [{ atOperation: cursor!.op + 1 }];
      },
    });

    // Assess
    expect(skipped).toBe(0);
    const [trial] = results;
    expect(firstCursor).toBe('_state/web/ga4_traffic_daily.json');
    expect(trialProblems(trial!)).toEqual([]);
    expect(trial!.exitCodes).toEqual([null, 0]);
    expect(trial!.kills).toHaveLength(1);
    // The killed rename left its temp file (never listed, never read); no lock outlives the last run.
    expect([trial!.orphanTempFiles, trial!.locksLeft]).toEqual([1, 0]);
    // The sandboxes serve odd values (targets.ts oddValues): the rows GA4 and Salesforce send off their contracts are
    // quarantined, the same records as in the clean run, none lost on the way.
    expect(trial!.targets.find((t) => t.type === 'ga4')!.quarantine).toEqual({ expected: 6, found: 6, missing: 0, unexpected: 0 });
    expect(trial!.targets.find((t) => t.type === 'salesforce')!.quarantine).toEqual({ expected: 31, found: 31, missing: 0, unexpected: 0 });
    const tables = trial!.targets.flatMap((t) => t.tables.map((table) => [t.type, table.table, table.rowsExpected, table.rowsFound, table.duplicates, table.losses, table.unexpected]));
    // Salesforce appends versions (table) and keeps the newest per record (_latest view).
    expect(tables).toEqual([
      ['ga4', 'ga4_traffic_daily', 80, 80, 0, 0, 0],
      ['ga4', 'ga4_events_daily', 83, 83, 0, 0, 0],
      ['google_ads', 'ads_google_campaign_daily', 21, 21, 0, 0, 0],
      ['meta', 'ads_meta_campaign_daily', 14, 14, 0, 0, 0],
      ['linkedin', 'ads_linkedin_campaign_daily', 13, 13, 0, 0, 0],
      ['tiktok', 'ads_tiktok_campaign_daily', 6, 6, 0, 0, 0],
      ['salesforce', 'salesforce_lead', 225, 225, 0, 0, 0],
      ['salesforce', 'salesforce_contact', 50, 50, 0, 0, 0],
      ['salesforce', 'salesforce_account', 37, 37, 0, 0, 0],
      ['salesforce', 'salesforce_opportunity', 9, 9, 0, 0, 0],
      ['salesforce', 'salesforce_opportunity_history', 10, 10, 0, 0, 0],
      ['salesforce', 'salesforce_campaign', 7, 7, 0, 0, 0],
      ['salesforce', 'salesforce_campaign_member', 159, 159, 0, 0, 0],
      ['salesforce', 'salesforce_user', 8, 8, 0, 0, 0],
      ['salesforce', 'salesforce_lead_latest', 223, 223, 0, 0, 0],
      ['salesforce', 'salesforce_contact_latest', 49, 49, 0, 0, 0],
      ['salesforce', 'salesforce_account_latest', 37, 37, 0, 0, 0],
      ['salesforce', 'salesforce_opportunity_latest', 9, 9, 0, 0, 0],
      ['salesforce', 'salesforce_opportunity_history_latest', 10, 10, 0, 0, 0],
      ['salesforce', 'salesforce_campaign_latest', 7, 7, 0, 0, 0],
      ['salesforce', 'salesforce_campaign_member_latest', 158, 158, 0, 0, 0],
      ['salesforce', 'salesforce_user_latest', 8, 8, 0, 0, 0],
    ]);
    expect(trial!.targets.reduce((sum, t) => sum + Object.values(t.faults).reduce((a, b) => a + b, 0), 0)).toBeGreaterThan(0);
  }, 60_000);

  // Found by `npm run chaos` (Google Ads: lookbackDays 14 > chunkDays 7): a first sync killed after
  // its first checkpoint used to be re-read from cursor − lookback, before its first window.
  it('a rerun after an interrupted first sync does not read before its first window', () => {
    const window = planSyncWindow({
      state: { version: 1, cursor: '2026-09-24', firstDate: '2026-09-18', updatedAt: '2026-10-16T00:00:00.000Z' },
      lookbackDays: 14, initialFrom: '2026-09-18', lastCompleteDay: '2026-10-15',
    });
    expect(window).toEqual({ from: '2026-09-18', to: '2026-10-15' });
  });
});
