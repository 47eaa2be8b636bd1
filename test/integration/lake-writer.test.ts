import { afterEach, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { ga4EventsDaily } from '../../connectors/ga4/streams.ts';
import { parseConfig } from '../../core/config/load-config.ts';
import { ConfigError } from '../../core/errors.ts';
import { appendToPartition, writePartition } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import type { Row } from '../../core/table/schema.ts';
import { tempDirs } from '../support/temp-dir.ts';

const row = (source: string, count: number): Row => ({
  date: '2026-10-05', property_id: '1', event_name: 'purchase', event_count: count, total_users: count,
  time_zone: 'Asia/Seoul', source_id: source, synced_at: new Date('2026-10-06T00:00:00Z'),
});

describe('writePartition with several sources in one partition', () => {
  const temps = tempDirs('kpi-lake-writer-');
  afterEach(() => temps.removeAll());

  it("replaces only its own source's files, also next to a source whose id it prefixes", async () => {
    // Prepare: sources web and web_eu, plus an appended file of web from an earlier run
    const store = new LocalFolderStore(await temps.make());
    await writePartition(store, ga4EventsDaily.table, '2026-10-05', 'web_eu', [row('web_eu', 1)]);
    await appendToPartition(store, ga4EventsDaily.table, '2026-10-05', 'web', '20261006000000', 0, [row('web', 2)]);
    // Act
    const written = await writePartition(store, ga4EventsDaily.table, '2026-10-05', 'web', [row('web', 3)]);
    // Assess
    expect(written.removed).toBe(1);
    expect(await store.list('raw/ga4_events_daily/dt=2026-10-05/')).toEqual([
      'raw/ga4_events_daily/dt=2026-10-05/web.parquet',
      'raw/ga4_events_daily/dt=2026-10-05/web_eu.parquet',
    ]);
  });

  it('rejects a source id with a hyphen, which would make file names ambiguous', () => {
    // Prepare
    const text = 'version: 1\nsources:\n  - { id: web-eu, type: ga4, propertyId: "1", sandbox: {} }\nemail: { from: "a <a@example.com>" }\n';
    // Act
    const act = () => parseConfig(text, 'pipeline.yaml', connectors);
    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/sources\[0\]\.id: write a short id of lowercase letters, digits or _/);
  });
});
