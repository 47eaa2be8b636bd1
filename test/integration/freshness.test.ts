import { afterEach, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { parseConfig } from '../../core/config/load-config.ts';
import { writeStreamState } from '../../core/lake/state-store.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { buildLakeCatalog } from '../../core/models/lake-catalog.ts';
import { findLateSources, kpisOfLateTables } from '../../core/pipeline/freshness.ts';
import { tempDirs } from '../support/temp-dir.ts';

const dirs = tempDirs('kpi-freshness-');
afterEach(() => dirs.removeAll());

const config = `version: 1
sources:
  - { id: web, type: ga4, propertyId: "1", sandbox: {} }
  - { id: google_ads, type: google_ads, customerIds: ["1234567890"], sandbox: {}, maxDataLagDays: 2 }
kpis:
  custom:
    - { id: sessions_per_click, kind: derived, name: { ko: 클릭당 세션, en: Sessions per click }, expression: "sessions / clicks" }
email: { from: "KPI <kpi@example.com>" }
`;

describe('late sources', () => {
  it('finds streams behind their promise, and the KPIs (through views and derived KPIs) they hold back', async () => {
    // Prepare: as of 2026-11-22 — GA4 traffic is current, GA4 events two days behind,
    // Google Ads two days behind but allowed two days of lag
    const { sources, kpis } = parseConfig(config, 'pipeline.yaml', connectors);
    const store = new LocalFolderStore(await dirs.make());
    const state = (cursor: string) => ({ version: 1 as const, cursor, firstDate: '2026-09-01', updatedAt: '2026-11-23T00:00:00.000Z' });
    await writeStreamState(store, 'web', 'ga4_traffic_daily', state('2026-11-22'));
    await writeStreamState(store, 'web', 'ga4_events_daily', state('2026-11-20'));
    await writeStreamState(store, 'google_ads', 'ads_google_campaign_daily', state('2026-11-20'));
    // Act
    const late = await findLateSources(store, sources, '2026-11-22', 'Asia/Seoul');
    const staleKpis = kpisOfLateTables(late, kpis, buildLakeCatalog(connectors).views);
    // Assess
    expect(late).toEqual([{ source: 'web', stream: 'ga4_events_daily', newestDay: '2026-11-20', expectedDay: '2026-11-21', daysLate: 1 }]);
    expect([...staleKpis].sort()).toEqual(['cart_abandonment_rate', 'micro_conversion_rate']);
  });

  it('a stream that never synced is late, and so are the views and derived KPIs over it', async () => {
    // Prepare: GA4 synced, Google Ads never
    const { sources, kpis } = parseConfig(config, 'pipeline.yaml', connectors);
    const store = new LocalFolderStore(await dirs.make());
    const state = { version: 1 as const, cursor: '2026-11-22', firstDate: '2026-09-01', updatedAt: '2026-11-23T00:00:00.000Z' };
    await writeStreamState(store, 'web', 'ga4_traffic_daily', state);
    await writeStreamState(store, 'web', 'ga4_events_daily', state);
    // Act
    const late = await findLateSources(store, sources, '2026-11-22', 'Asia/Seoul');
    const staleKpis = kpisOfLateTables(late, kpis, buildLakeCatalog(connectors).views);
    // Assess
    expect(late).toEqual([{ source: 'google_ads', stream: 'ads_google_campaign_daily', newestDay: null, expectedDay: '2026-11-20', daysLate: null }]);
    expect(staleKpis.has('roas')).toBe(true);
    expect(staleKpis.has('cac')).toBe(true);
    expect(staleKpis.has('sessions_per_click')).toBe(true);
    expect(staleKpis.has('sessions')).toBe(false);
  });
});
