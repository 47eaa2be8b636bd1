/**
 * Seeded synthetic Meta ads data for the sandbox: the shop's Facebook/Instagram campaigns
 * (shopCampaigns.meta: spring_sale ~300,000 KRW a day, retargeting ~140,000 KRW a day) in ad accounts
 * that bill in KRW and report in Asia/Seoul.
 *
 * Every value is a pure function of (seed, anchorDate, date, account, campaign): each campaign-day
 * draws from its own PRNG, so a day's facts never depend on how many days are generated or in which
 * order. Spend follows the shop story: weekends ~25% lower, +0.1%/day towards anchorDate, ±10% noise;
 * CTR about 1%; purchases and leads fall to dipConversionFactor inside the planted dip (the checkout
 * broke) while delivery and spend carry on.
 */
import { between, count, hash, jitter, randomCount, rngFor } from '../../sandbox-kit/seeded-random.ts';
import { dipConversionFactor, inPlantedDip, plantedDipRange, shopCampaigns, trendFactor, weekdayFactor } from '../../sandbox-kit/shop-story.ts';

export { plantedDipRange };

export const META_SANDBOX_CURRENCY = 'KRW';
export const META_SANDBOX_TIME_ZONE = 'Asia/Seoul';
/** Served when a sandbox is started without account ids. */
export const defaultSandboxAccountIds: readonly string[] = ['1029384756'];

export interface MetaSeedOptions {
  readonly seed: number;
  /** The sandbox's "today", YYYY-MM-DD: no facts after it, the dip ends on it. */
  readonly anchorDate: string;
  /** Bare ad account ids (no act_); the shop's campaigns are dealt to them in turn. */
  readonly accountIds: readonly string[];
}

interface CampaignProfile {
  readonly name: (typeof shopCampaigns.meta)[number];
  /** Weekday spend on anchorDate before noise, KRW. */
  readonly dailySpendKrw: number;
  /** Cost per 1,000 impressions, KRW. */
  readonly cpmKrw: number;
  /** Clicks (all) per impression. */
  readonly ctr: number;
  /** Purchases per click. */
  readonly purchaseRate: number;
  /** Leads per click. */
  readonly leadRate: number;
  readonly averageOrderValueKrw: number;
}

const profiles: readonly CampaignProfile[] = [
  { name: 'spring_sale', dailySpendKrw: 300_000, cpmKrw: 6_000, ctr: 0.01, purchaseRate: 0.02, leadRate: 0.005, averageOrderValueKrw: 58_000 },
  { name: 'retargeting', dailySpendKrw: 140_000, cpmKrw: 9_000, ctr: 0.012, purchaseRate: 0.045, leadRate: 0.004, averageOrderValueKrw: 62_000 },
];

export interface SandboxCampaign {
  readonly accountId: string;
  readonly campaignId: string;
  readonly name: string;
  readonly effectiveStatus: 'ACTIVE';
  readonly profile: CampaignProfile;
}

export interface SandboxAccount {
  readonly accountId: string;
  readonly name: string;
  readonly currency: string;
  readonly timeZone: string;
}

export function sandboxAccounts(accountIds: readonly string[]): SandboxAccount[] {
  return accountIds.map((accountId, index) => ({
    accountId, name: `서울 쇼핑몰 광고 계정 ${index + 1}`, currency: META_SANDBOX_CURRENCY, timeZone: META_SANDBOX_TIME_ZONE,
  }));
}

/** The shop's Meta campaigns dealt to the accounts in turn (one account holds both; two hold one each). */
export function sandboxCampaigns(accountIds: readonly string[]): SandboxCampaign[] {
  if (accountIds.length === 0) return [];
  return profiles.map((profile, index) => {
    const accountId = accountIds[index % accountIds.length]!;
    // Meta ids are opaque numeric strings; these are stable for an (account, name) pair.
    const campaignId = `23850${String(hash(`${accountId}|${profile.name}`)).padStart(10, '0')}`;
    return { accountId, campaignId, name: profile.name, effectiveStatus: 'ACTIVE', profile };
  });
}

/** One campaign's delivery and outcomes on one day (what an insights row reports). */
export interface CampaignDayFact {
  readonly date: string;
  readonly accountId: string;
  readonly campaignId: string;
  readonly campaignName: string;
  readonly impressions: number;
  readonly clicks: number;
  /** Whole KRW (KRW has no minor unit). */
  readonly spend: number;
  readonly linkClicks: number;
  readonly landingPageViews: number;
  readonly addToCart: number;
  readonly purchases: number;
  /** Whole KRW. */
  readonly purchaseValue: number;
  readonly leads: number;
}

/** Every campaign's facts for a day, in account then campaign order. Empty after anchorDate. */
export function campaignFactsFor(date: string, options: MetaSeedOptions): CampaignDayFact[] {
  if (date > options.anchorDate) return [];
  const conversionFactor = inPlantedDip(date, options.anchorDate) ? dipConversionFactor : 1;
  const dayFactor = weekdayFactor(date) * trendFactor(date, options.anchorDate);
  return sandboxCampaigns(options.accountIds).map((campaign): CampaignDayFact => {
    const { profile } = campaign;
    const random = rngFor(options.seed, date, `meta|${campaign.accountId}|${campaign.name}`);
    const spend = count(profile.dailySpendKrw * dayFactor * jitter(random, 0.1));
    const impressions = count((spend / profile.cpmKrw) * 1000 * jitter(random, 0.05));
    const clicks = count(impressions * profile.ctr * jitter(random, 0.1));
    const linkClicks = Math.min(clicks, count(clicks * between(random, 0.6, 0.7)));
    const landingPageViews = Math.min(linkClicks, count(linkClicks * between(random, 0.75, 0.85)));
    const addToCart = randomCount(random, landingPageViews * 0.12 * jitter(random, 0.15));
    const purchases = randomCount(random, clicks * profile.purchaseRate * conversionFactor * jitter(random, 0.15));
    const purchaseValue = count(purchases * profile.averageOrderValueKrw * jitter(random, 0.12));
    const leads = randomCount(random, clicks * profile.leadRate * conversionFactor * jitter(random, 0.2));
    return {
      date, accountId: campaign.accountId, campaignId: campaign.campaignId, campaignName: campaign.name,
      impressions, clicks, spend, linkClicks, landingPageViews, addToCart, purchases, purchaseValue, leads,
    };
  });
}
