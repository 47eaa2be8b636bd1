/**
 * Seeded synthetic GA4 data for the sandbox: a Korean online shop (KRW, property time zone Asia/Seoul).
 *
 * Every value is a pure function of (seed, anchorDate, date, row key): each row draws from its own
 * PRNG (mulberry32 over an FNV-1a hash of those keys), so a day's facts never depend on how many days
 * are generated or in which order. The trend is measured from anchorDate (the sandbox's "today").
 *
 * The story: steady traffic (~2,500–4,000 sessions a day, weekends ~25% lower, +0.1%/day), and a
 * planted conversion dip — from the Monday of the last complete ISO week before anchorDate through
 * anchorDate, transactions and key events fall by ~45% while sessions and the funnel up to
 * begin_checkout stay as they were (a broken checkout), so the conversion-rate alert has something to find.
 */
import { daysBetween, isoWeekday } from '../../../core/dates.ts';
import { between, count, jitter, randomCount, rngFor as seededRng } from '../../sandbox-kit/seeded-random.ts';
import { dipConversionFactor, inPlantedDip, plantedDipRange } from '../../sandbox-kit/shop-story.ts';

export { plantedDipRange };

export interface TrafficFact {
  date: string; // YYYY-MM-DD, property time zone
  channelGroup: string;
  source: string;
  medium: string;
  campaign: string;
  sessions: number;
  engagedSessions: number;
  totalUsers: number;
  newUsers: number;
  userEngagementDuration: number; // seconds, integer
  keyEvents: number;
  purchaseRevenue: number; // whole KRW
  transactions: number;
}

export interface EventFact {
  date: string;
  eventName: string;
  eventCount: number;
  totalUsers: number;
}

export interface SeedOptions {
  seed: number;
  /** The sandbox's "today", YYYY-MM-DD: no facts after it, the dip ends on it. */
  anchorDate: string;
}

interface Channel {
  key: string;
  channelGroup: string;
  source: string;
  medium: string;
  campaign: string;
  /** share of the day's sessions */
  share: number;
  /** transactions per session */
  purchaseRate: number;
  /** lead sign-ups (key events that are not purchases) per session */
  leadRate: number;
}

// Campaign names match the ad platforms' campaigns that the other connectors' sandboxes seed.
const channels: readonly Channel[] = [
  { key: 'organic', channelGroup: 'Organic Search', source: 'google', medium: 'organic', campaign: '(organic)', share: 0.3, purchaseRate: 0.02, leadRate: 0.0045 },
  { key: 'brand', channelGroup: 'Paid Search', source: 'google', medium: 'cpc', campaign: 'brand_search', share: 0.07, purchaseRate: 0.036, leadRate: 0.004 },
  { key: 'generic', channelGroup: 'Paid Search', source: 'google', medium: 'cpc', campaign: 'generic_search', share: 0.08, purchaseRate: 0.027, leadRate: 0.005 },
  { key: 'display', channelGroup: 'Display', source: 'google', medium: 'display', campaign: 'display_prospecting', share: 0.05, purchaseRate: 0.005, leadRate: 0.002 },
  { key: 'fb_spring', channelGroup: 'Paid Social', source: 'facebook', medium: 'paid_social', campaign: 'spring_sale', share: 0.06, purchaseRate: 0.018, leadRate: 0.003 },
  { key: 'fb_retarget', channelGroup: 'Paid Social', source: 'facebook', medium: 'paid_social', campaign: 'retargeting', share: 0.04, purchaseRate: 0.032, leadRate: 0.003 },
  { key: 'linkedin', channelGroup: 'Paid Social', source: 'linkedin', medium: 'paid_social', campaign: 'b2b_webinar', share: 0.02, purchaseRate: 0.007, leadRate: 0.03 },
  { key: 'tiktok', channelGroup: 'Paid Social', source: 'tiktok', medium: 'paid_social', campaign: 'tiktok_awareness', share: 0.04, purchaseRate: 0.007, leadRate: 0.0015 },
  { key: 'instagram', channelGroup: 'Organic Social', source: 'instagram', medium: 'social', campaign: '(not set)', share: 0.05, purchaseRate: 0.011, leadRate: 0.003 },
  { key: 'email', channelGroup: 'Email', source: 'newsletter', medium: 'email', campaign: 'weekly_newsletter', share: 0.06, purchaseRate: 0.04, leadRate: 0.006 },
  { key: 'naver', channelGroup: 'Referral', source: 'naver.com', medium: 'referral', campaign: '(referral)', share: 0.06, purchaseRate: 0.018, leadRate: 0.003 },
  { key: 'direct', channelGroup: 'Direct', source: '(direct)', medium: '(none)', campaign: '(direct)', share: 0.16, purchaseRate: 0.025, leadRate: 0.0025 },
];

/** Traffic GA4 could not attribute; present on roughly a third of days. */
const unassigned: Channel = {
  key: 'not_set', channelGroup: '(not set)', source: '(not set)', medium: '(not set)', campaign: '(not set)',
  share: 0.006, purchaseRate: 0.01, leadRate: 0.002,
};
const unassignedProbability = 0.35;

/** Weekday sessions on anchorDate, before noise. */
const weekdaySessionsAtAnchor = 3700;
const weekendFactor = 0.75;
const dailyGrowth = 0.001;
const dayNoise = 0.05;
const rowNoise = 0.08;
const averageOrderValueKrw = 58_000;
const dipFactor = dipConversionFactor;

function rngFor(options: SeedOptions, date: string, key: string): () => number {
  return seededRng(options.seed, date, key);
}

function inDip(date: string, anchorDate: string): boolean {
  return inPlantedDip(date, anchorDate);
}

/** The day's traffic by channel group / source / medium / campaign. Empty after anchorDate. */
export function trafficFactsFor(date: string, options: SeedOptions): TrafficFact[] {
  if (date > options.anchorDate) return [];
  const dayRandom = rngFor(options, date, 'day');
  const weekend = isoWeekday(date) >= 6;
  const trend = Math.pow(1 + dailyGrowth, daysBetween(options.anchorDate, date));
  const daySessions = weekdaySessionsAtAnchor * (weekend ? weekendFactor : 1) * trend * jitter(dayRandom, dayNoise);
  const conversionFactor = inDip(date, options.anchorDate) ? dipFactor : 1;

  const rows = dayRandom() < unassignedProbability ? [...channels, unassigned] : channels;
  const facts: TrafficFact[] = [];
  for (const channel of rows) {
    const random = rngFor(options, date, channel.key);
    const sessions = count(daySessions * channel.share * jitter(random, rowNoise));
    if (sessions === 0) continue;
    const engagedSessions = Math.min(sessions, count(sessions * between(random, 0.55, 0.7)));
    const totalUsers = Math.min(sessions, count(sessions * between(random, 0.77, 0.83)));
    const newUsers = Math.min(totalUsers, count(totalUsers * between(random, 0.3, 0.4)));
    const userEngagementDuration = count(totalUsers * between(random, 50, 60));
    const transactions = Math.min(
      engagedSessions,
      randomCount(random, sessions * channel.purchaseRate * conversionFactor * jitter(random, 0.15)),
    );
    const leads = randomCount(random, sessions * channel.leadRate * conversionFactor * jitter(random, 0.2));
    const purchaseRevenue = count(transactions * averageOrderValueKrw * jitter(random, 0.12));
    facts.push({
      date,
      channelGroup: channel.channelGroup,
      source: channel.source,
      medium: channel.medium,
      campaign: channel.campaign,
      sessions,
      engagedSessions,
      totalUsers,
      newUsers,
      userEngagementDuration,
      keyEvents: transactions + leads,
      purchaseRevenue,
      transactions,
    });
  }
  return facts;
}

/** The day's events, consistent with its traffic (purchase = Σ transactions, leads = Σ keyEvents − Σ transactions). */
export function eventFactsFor(date: string, options: SeedOptions): EventFact[] {
  const traffic = trafficFactsFor(date, options);
  if (traffic.length === 0) return [];
  const sum = (pick: (fact: TrafficFact) => number): number => traffic.reduce((total, fact) => total + pick(fact), 0);
  const sessions = sum((fact) => fact.sessions);
  const engagedSessions = sum((fact) => fact.engagedSessions);
  const users = sum((fact) => fact.totalUsers);
  const newUsers = sum((fact) => fact.newUsers);
  const transactions = sum((fact) => fact.transactions);
  const leads = sum((fact) => fact.keyEvents - fact.transactions);

  const random = rngFor(options, date, 'events');
  const addToCart = count(sessions * 0.08 * jitter(random, 0.1));
  const beginCheckout = count(addToCart * 0.5 * jitter(random, 0.08));
  const generateLead = count(leads * between(random, 0.55, 0.65));

  const event = (eventName: string, eventCount: number, userShare: number): EventFact => ({
    date,
    eventName,
    eventCount,
    totalUsers: Math.min(eventCount, count(userShare)),
  });
  return [
    event('page_view', count(sessions * between(random, 3.0, 3.6)), users * 0.98),
    event('session_start', sessions, users),
    event('first_visit', newUsers, newUsers),
    event('user_engagement', count(engagedSessions * between(random, 1.9, 2.3)), users * 0.72),
    event('scroll', count(sessions * between(random, 1.0, 1.2)), users * 0.45),
    event('view_item', count(sessions * between(random, 1.3, 1.5)), users * 0.5),
    event('add_to_cart', addToCart, addToCart * 0.85),
    event('begin_checkout', beginCheckout, beginCheckout * 0.9),
    event('purchase', transactions, transactions * 0.97),
    event('generate_lead', generateLead, generateLead * 0.95),
    event('sign_up', leads - generateLead, (leads - generateLead) * 0.98),
    event('file_download', count(sessions * between(random, 0.002, 0.004)), sessions * 0.0025),
  ];
}
