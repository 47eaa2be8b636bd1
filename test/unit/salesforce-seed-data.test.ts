import { describe, expect, it } from 'vitest';
import { shopCampaigns } from '../../connectors/sandbox-kit/shop-story.ts';
import { caseSafeId } from '../../connectors/salesforce/mappers.ts';
import {
  advanceWorld, buildSalesforceWorld, newestModstamp, recycleBinDays, salesforceId, seedRecordCounts, type SandboxRecord,
} from '../../connectors/salesforce/sandbox/seed-data.ts';

const options = { seed: 42, anchorDate: '2026-10-16' };

function values(records: Map<string, SandboxRecord> | undefined): SandboxRecord[] {
  return [...(records ?? new Map<string, SandboxRecord>()).values()];
}

describe('Salesforce sandbox seed data', () => {
  it('is a pure function of seed, anchorDate and historyDays', () => {
    // Prepare
    const small = { ...options, historyDays: 30 };
    // Act
    const first = buildSalesforceWorld(small);
    const second = buildSalesforceWorld(small);
    const otherSeed = buildSalesforceWorld({ ...small, seed: 7 });
    // Assess
    expect([...second.store].map(([k, v]) => [k, values(v)])).toEqual([...first.store].map(([k, v]) => [k, values(v)]));
    expect(values(otherSeed.store.get('Lead'))).not.toEqual(values(first.store.get('Lead')));
    expect(first).toMatchObject({ now: '2026-10-16T00:00:00.000Z', firstDay: '2026-09-16', lastDay: '2026-10-15' });
  });

  it('keeps the Ids of users, campaigns and older accounts whatever the anchor date', () => {
    // Prepare
    const today = buildSalesforceWorld({ ...options, historyDays: 30 });
    const tomorrow = buildSalesforceWorld({ ...options, anchorDate: '2026-10-17', historyDays: 30 });
    // Act
    const ids = (world: typeof today, object: 'User' | 'Campaign' | 'Account') => values(world.store.get(object)).map((r) => r.Id).sort().slice(0, 30);
    // Assess
    expect(ids(tomorrow, 'User')).toEqual(ids(today, 'User'));
    expect(ids(tomorrow, 'Campaign')).toEqual(ids(today, 'Campaign'));
    expect(ids(tomorrow, 'Account')).toEqual(ids(today, 'Account'));
  });

  it('names its campaigns exactly like the GA4 and ad platform campaigns', () => {
    // Prepare
    const world = buildSalesforceWorld({ ...options, historyDays: 30 });
    // Act
    const names = values(world.store.get('Campaign')).map((c) => c.Name).sort();
    // Assess
    expect(names).toEqual(Object.values(shopCampaigns).flat().sort());
  });

  it('has leads every day, moving Open → MQL → SQL → Converted with their dates and opportunities', () => {
    // Prepare
    const world = buildSalesforceWorld(options);
    const leads = values(world.store.get('Lead'));
    const opportunities = new Map(values(world.store.get('Opportunity')).map((o) => [o.Id, o]));
    // Act
    const perDay = new Map<string, number>();
    for (const lead of leads) perDay.set(String(lead.CreatedDate).slice(0, 10), (perDay.get(String(lead.CreatedDate).slice(0, 10)) ?? 0) + 1);
    const converted = leads.filter((l) => l.Status === 'Converted');
    // Assess
    expect(perDay.size).toBe(400);
    expect(Math.max(...perDay.values())).toBeLessThanOrEqual(15);
    expect(new Set(leads.map((l) => l.Status))).toEqual(new Set(['Open', 'MQL', 'SQL', 'Converted', 'Disqualified']));
    for (const lead of leads.filter((l) => l.Status === 'SQL' || l.Status === 'Converted')) {
      expect(lead.MQL_Date__c! <= lead.SQL_Date__c!).toBe(true);
    }
    expect(converted.every((l) => l.IsConverted === true && l.ConvertedAccountId !== null && l.ConvertedDate !== null)).toBe(true);
    const withOpportunity = converted.filter((l) => l.ConvertedOpportunityId !== null);
    expect(withOpportunity.length).toBeGreaterThan(converted.length * 0.8);
    expect(withOpportunity.every((l) => opportunities.has(l.ConvertedOpportunityId!))).toBe(true);
  });

  it('closes at least 20 opportunities and wins at least 5 in every complete month once the pipeline has filled (2–30 M KRW)', () => {
    // Prepare
    const world = buildSalesforceWorld(options);
    const opportunities = values(world.store.get('Opportunity'));
    // Act
    const months = new Map<string, { closed: number; won: number }>();
    for (const o of opportunities.filter((x) => x.IsClosed === true)) {
      const month = String(o.CloseDate).slice(0, 7);
      const entry = months.get(month) ?? { closed: 0, won: 0 };
      entry.closed++;
      if (o.IsWon === true) entry.won++;
      months.set(month, entry);
    }
    // Assess: 2025-11 … 2026-09 are complete months after the first one of the history.
    const complete = [...months].filter(([month]) => month >= '2025-11' && month <= '2026-09');
    expect(complete).toHaveLength(11);
    for (const [, entry] of complete) {
      expect(entry.closed).toBeGreaterThanOrEqual(20);
      expect(entry.won).toBeGreaterThanOrEqual(5);
    }
    const amounts = opportunities.map((o) => Number(o.Amount));
    expect(Math.min(...amounts)).toBeGreaterThanOrEqual(1_000_000);
    expect(Math.max(...amounts)).toBeLessThanOrEqual(36_000_000);
    expect(new Set(opportunities.map((o) => o.StageName))).toEqual(new Set([
      'Prospecting', 'Qualification', 'Needs Analysis', 'Proposal/Price Quote', 'Negotiation/Review', 'Closed Won', 'Closed Lost',
    ]));
  });

  it('writes an OpportunityHistory row per stage change and keeps deleted records only while they are in the recycle bin', () => {
    // Prepare
    const world = buildSalesforceWorld(options);
    const now = Date.parse(world.now);
    // Act
    const history = values(world.store.get('OpportunityHistory'));
    const deleted = [...world.store.values()].flatMap(values).filter((r) => r.IsDeleted === true);
    const closedWon = values(world.store.get('Opportunity')).filter((o) => o.StageName === 'Closed Won');
    // Assess
    for (const opportunity of closedWon.slice(0, 20)) {
      expect(history.filter((h) => h.OpportunityId === opportunity.Id).map((h) => h.StageName)).toEqual([
        'Prospecting', 'Qualification', 'Needs Analysis', 'Proposal/Price Quote', 'Negotiation/Review', 'Closed Won',
      ]);
    }
    expect(deleted.length).toBeGreaterThan(0);
    for (const record of deleted) expect(Date.parse(String(record.SystemModstamp))).toBeGreaterThanOrEqual(now - recycleBinDays * 86_400_000);
    for (const record of [...world.store.values()].flatMap(values)) expect(Date.parse(String(record.SystemModstamp))).toBeLessThan(now);
  });

  it('counts records per object as queryAll sees them', () => {
    // Prepare
    const small = { ...options, historyDays: 45 };
    // Act
    const counts = seedRecordCounts(small);
    // Assess
    expect(counts).toEqual(Object.fromEntries([...buildSalesforceWorld(small).store].map(([k, v]) => [k, v.size])));
    expect(counts.User).toBe(8);
    expect(counts.Campaign).toBe(7);
  });

  it('makes 18-character Ids with the case-safe checksum', () => {
    // Prepare: the commonly quoted example 001A0000006Vm9r → 001A0000006Vm9rIAC
    const known = '001A0000006Vm9r';
    // Act
    const safe = caseSafeId(known);
    const id = salesforceId('Opportunity', 123_456);
    // Assess
    expect(safe).toBe('001A0000006Vm9rIAC');
    expect(id).toMatch(/^006Kp0[0-9A-Za-z]{9}[A-Z0-5]{3}$/);
    expect(id).toBe(caseSafeId(id.slice(0, 15)));
  });
});

describe('advanceWorld', () => {
  it('changes records deterministically with SystemModstamps after every earlier one', () => {
    // Prepare
    const small = { ...options, historyDays: 45 };
    const world = buildSalesforceWorld(small);
    const again = buildSalesforceWorld(small);
    const newest = newestModstamp(world.store);
    // Act
    const summary = advanceWorld(world.store, small, 1);
    const repeat = advanceWorld(again.store, small, 1);
    // Assess
    expect(summary).toEqual(repeat);
    expect(Date.parse(summary.from)).toBe(newest + 60_000);
    expect(summary.opportunities.advanced).toHaveLength(3);
    expect(summary.opportunities.won).toHaveLength(1);
    expect(summary.opportunities.lost).toHaveLength(1);
    expect(summary.opportunities.amountRevised).toHaveLength(1);
    expect(summary.deleted.Opportunity).toHaveLength(1);
    expect(summary.deleted.Lead).toHaveLength(1);
    expect(summary.created.Lead).toHaveLength(1);
    expect(summary.created.Opportunity).toHaveLength(1);
    expect(summary.leads.toMql).toHaveLength(2);
    expect(summary.leads.toSql).toHaveLength(1);
    for (const [object, ids] of Object.entries(summary.changed)) {
      for (const id of ids) {
        const record = world.store.get(object as 'Lead')!.get(id)!;
        expect(Date.parse(String(record.SystemModstamp))).toBeGreaterThan(newest);
      }
    }
    const won = world.store.get('Opportunity')!.get(summary.opportunities.won[0]!)!;
    expect(won).toMatchObject({ StageName: 'Closed Won', IsClosed: true, IsWon: true, Probability: 100 });
  });
});
