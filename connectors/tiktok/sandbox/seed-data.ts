/**
 * Seeded synthetic TikTok Ads data for the sandbox: the Korean online shop's TikTok ad account
 * (KRW, Asia/Seoul) running the shop's TikTok campaign (`shopCampaigns.tiktok`, named exactly as
 * GA4's sessionCampaignName).
 *
 * Every value is a pure function of (seed, anchorDate, date, advertiser, campaign): each row draws
 * from its own PRNG, so a day's facts never depend on how many days are generated or in which order.
 * Spend is ~200,000 KRW a weekday (weekends ×0.75, +0.1%/day trend, ±10% noise), CPM ~8,000 KRW,
 * CTR ~0.8%, a few purchases a day (×0.55 inside the planted dip), ~58,000 KRW per purchase.
 * Money is whole won, so sums over the lake equal sums over these facts exactly.
 */
import { hash, jitter, count, randomCount, rngFor } from '../../sandbox-kit/seeded-random.ts';
import { dipConversionFactor, inPlantedDip, plantedDipRange, shopCampaigns, trendFactor, weekdayFactor } from '../../sandbox-kit/shop-story.ts';

export { plantedDipRange };

/** The ad account the sandbox serves unless told otherwise. */
export const TIKTOK_SANDBOX_ADVERTISER_ID = '7123456789012345678';
export const TIKTOK_SANDBOX_CURRENCY = 'KRW';
export const TIKTOK_SANDBOX_TIME_ZONE = 'Asia/Seoul';

export interface SandboxAdvertiser {
  readonly advertiserId: string;
  readonly name: string;
  readonly currency: string;
  /** What advertiser/info answers as `timezone` (and `display_timezone`). */
  readonly timezone: string;
}

export interface SandboxCampaign {
  readonly campaignId: string;
  readonly campaignName: string;
  readonly operationStatus: 'ENABLE' | 'DISABLE';
}

export interface CampaignDayFact {
  /** YYYY-MM-DD in the advertiser's time zone. */
  readonly date: string;
  readonly advertiserId: string;
  readonly campaignId: string;
  readonly campaignName: string;
  /** Whole KRW. */
  readonly spend: number;
  readonly impressions: number;
  readonly clicks: number;
  /** Complete Payment events (the campaign optimizes for purchases, so `conversion` counts these too). */
  readonly conversions: number;
  /** Whole KRW: the value TikTok reports as `total_complete_payment_rate`. */
  readonly conversionsValue: number;
}

export interface SeedOptions {
  readonly seed: number;
  /** The sandbox's "today", YYYY-MM-DD: no facts after it, the dip ends on it. */
  readonly anchorDate: string;
}

const weekdaySpendAtAnchorKrw = 200_000;
const cpmKrw = 8_000;
const clickThroughRate = 0.008;
const purchasesPerClick = 0.018;
const valuePerPurchaseKrw = 58_000;
const noise = 0.1;

/** The sandbox's account facts for an advertiser id; the first gets the shop's name. */
export function sandboxAdvertiser(advertiserId: string, index = 0): SandboxAdvertiser {
  return {
    advertiserId,
    name: index === 0 ? 'Seoul Shop TikTok' : `Seoul Shop TikTok ${index + 1}`,
    currency: TIKTOK_SANDBOX_CURRENCY,
    timezone: TIKTOK_SANDBOX_TIME_ZONE,
  };
}

/** The advertiser's campaigns: the shop's TikTok campaigns, with 19-digit ids stable per advertiser. */
export function sandboxCampaigns(advertiserId: string): SandboxCampaign[] {
  return shopCampaigns.tiktok.map((campaignName) => ({
    campaignId: String(1_800_000_000_000_000_000n + BigInt(hash(`${advertiserId}|${campaignName}`))),
    campaignName,
    operationStatus: 'ENABLE',
  }));
}

/** The day's delivery per campaign of one advertiser. Empty after anchorDate. */
export function campaignFactsFor(date: string, options: SeedOptions & { readonly advertiserId: string }): CampaignDayFact[] {
  if (date > options.anchorDate) return [];
  const conversionFactor = inPlantedDip(date, options.anchorDate) ? dipConversionFactor : 1;
  return sandboxCampaigns(options.advertiserId).map((campaign) => {
    const random = rngFor(options.seed, date, `tiktok|${options.advertiserId}|${campaign.campaignId}`);
    const spend = count(weekdaySpendAtAnchorKrw * weekdayFactor(date) * trendFactor(date, options.anchorDate) * jitter(random, noise));
    const impressions = count((spend / cpmKrw) * 1000 * jitter(random, noise));
    const clicks = count(impressions * clickThroughRate * jitter(random, noise));
    const conversions = randomCount(random, clicks * purchasesPerClick * conversionFactor * jitter(random, noise));
    const conversionsValue = count(conversions * valuePerPurchaseKrw * jitter(random, 0.12));
    return {
      date, advertiserId: options.advertiserId, campaignId: campaign.campaignId, campaignName: campaign.campaignName,
      spend, impressions, clicks, conversions, conversionsValue,
    };
  });
}
