import { describe, expect, it } from 'vitest';
import { addDays, eachDay, isoWeekday } from '../../core/dates.ts';
import { eventFactsFor, plantedDipRange, trafficFactsFor } from '../../connectors/ga4/sandbox/seed-data.ts';
import type { TrafficFact } from '../../connectors/ga4/sandbox/seed-data.ts';

const options = { seed: 42, anchorDate: '2025-03-19' };
const numericFields = ['sessions', 'engagedSessions', 'totalUsers', 'newUsers', 'userEngagementDuration', 'keyEvents', 'purchaseRevenue', 'transactions'] as const;

function total(facts: readonly TrafficFact[], field: (typeof numericFields)[number]): number {
  return facts.reduce((sum, fact) => sum + fact[field], 0);
}

describe('GA4 sandbox seed data', () => {
  it('keeps every traffic fact internally consistent', () => {
    // Prepare
    const days = [...eachDay('2024-11-01', options.anchorDate)];

    // Act
    const facts = days.flatMap((date) => trafficFactsFor(date, options));

    // Assess
    expect(facts.length / days.length).toBeGreaterThanOrEqual(10);
    expect(facts.length / days.length).toBeLessThanOrEqual(14);
    for (const fact of facts) {
      for (const field of numericFields) {
        expect(Number.isInteger(fact[field]) && fact[field] >= 0, `${fact.date} ${fact.campaign} ${field}`).toBe(true);
      }
      expect(fact.engagedSessions).toBeLessThanOrEqual(fact.sessions);
      expect(fact.totalUsers).toBeLessThanOrEqual(fact.sessions);
      expect(fact.newUsers).toBeLessThanOrEqual(fact.totalUsers);
      expect(fact.transactions).toBeLessThanOrEqual(fact.keyEvents);
      if (fact.transactions === 0) expect(fact.purchaseRevenue).toBe(0);
    }
    for (const date of days) {
      const sessions = total(trafficFactsFor(date, options), 'sessions');
      expect(sessions, date).toBeGreaterThan(1500);
      expect(sessions, date).toBeLessThan(4500);
    }
    const campaigns = new Set(facts.map((fact) => fact.campaign));
    for (const campaign of ['brand_search', 'generic_search', 'display_prospecting', 'spring_sale', 'retargeting', 'b2b_webinar', 'tiktok_awareness', 'weekly_newsletter']) {
      expect(campaigns).toContain(campaign);
    }
    expect(new Set(facts.map((fact) => fact.channelGroup))).toContain('(not set)');
  });

  it('makes event facts agree with the same day traffic', () => {
    // Prepare
    const days = [...eachDay('2025-02-01', options.anchorDate)];

    for (const date of days) {
      // Act
      const traffic = trafficFactsFor(date, options);
      const events = new Map(eventFactsFor(date, options).map((event) => [event.eventName, event]));

      // Assess
      expect([...events.keys()].sort()).toEqual([
        'add_to_cart', 'begin_checkout', 'file_download', 'first_visit', 'generate_lead', 'page_view',
        'purchase', 'scroll', 'session_start', 'sign_up', 'user_engagement', 'view_item',
      ]);
      expect(events.get('purchase')!.eventCount).toBe(total(traffic, 'transactions'));
      expect(events.get('session_start')!.eventCount).toBe(total(traffic, 'sessions'));
      expect(events.get('first_visit')!.eventCount).toBe(total(traffic, 'newUsers'));
      expect(events.get('generate_lead')!.eventCount + events.get('sign_up')!.eventCount).toBe(total(traffic, 'keyEvents') - total(traffic, 'transactions'));
      expect(events.get('begin_checkout')!.eventCount).toBeLessThanOrEqual(events.get('add_to_cart')!.eventCount);
      for (const event of events.values()) {
        expect(Number.isInteger(event.eventCount) && event.eventCount >= 0).toBe(true);
        expect(event.totalUsers).toBeLessThanOrEqual(event.eventCount);
      }
    }
  });

  it('has lower weekend traffic and no facts after the anchor date', () => {
    // Prepare
    const days = [...eachDay('2024-12-02', '2025-03-02')];

    // Act
    const dailySessions = days.map((date) => ({ weekend: isoWeekday(date) >= 6, sessions: total(trafficFactsFor(date, options), 'sessions') }));
    const average = (weekend: boolean): number => {
      const chosen = dailySessions.filter((day) => day.weekend === weekend);
      return chosen.reduce((sum, day) => sum + day.sessions, 0) / chosen.length;
    };
    const after = [1, 2, 30].map((days) => addDays(options.anchorDate, days));

    // Assess
    expect(average(true) / average(false)).toBeGreaterThan(0.65);
    expect(average(true) / average(false)).toBeLessThan(0.85);
    for (const date of after) {
      expect(trafficFactsFor(date, options)).toEqual([]);
      expect(eventFactsFor(date, options)).toEqual([]);
    }
    expect(trafficFactsFor(options.anchorDate, options).length).toBeGreaterThan(0);
  });

  it('is deterministic per (seed, date) and the planted dip cuts conversions, not sessions', () => {
    // Prepare
    const dip = plantedDipRange(options.anchorDate);
    const rate = (from: string, to: string): { sessions: number; keyEventRate: number } => {
      const facts = [...eachDay(from, to)].flatMap((date) => trafficFactsFor(date, options));
      return { sessions: total(facts, 'sessions') / 7, keyEventRate: total(facts, 'keyEvents') / total(facts, 'sessions') };
    };

    // Act
    const inside = rate(dip.from, addDays(dip.from, 6));
    const before = rate(addDays(dip.from, -7), addDays(dip.from, -1));

    // Assess
    expect(trafficFactsFor('2025-01-15', options)).toEqual(trafficFactsFor('2025-01-15', { ...options }));
    expect(trafficFactsFor('2025-01-15', options)).not.toEqual(trafficFactsFor('2025-01-15', { ...options, seed: 43 }));
    expect(dip).toEqual({ from: '2025-03-10', to: '2025-03-19' });
    expect(plantedDipRange('2025-03-17')).toEqual({ from: '2025-03-10', to: '2025-03-17' }); // a Monday: last week is complete
    expect(plantedDipRange('2025-03-16')).toEqual({ from: '2025-03-03', to: '2025-03-16' }); // a Sunday: its own week is not "before"
    expect(before.keyEventRate).toBeGreaterThan(0.024);
    expect(before.keyEventRate).toBeLessThan(0.031);
    expect(inside.keyEventRate).toBeLessThan(before.keyEventRate * 0.7);
    expect(Math.abs(inside.sessions / before.sessions - 1)).toBeLessThan(0.1);
  });
});
