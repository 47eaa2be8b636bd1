/**
 * Seeded synthetic Google Ads data for the sandbox: the shop's Google Ads campaigns
 * (`shopCampaigns.google_ads`) split across two client accounts, both KRW and Asia/Seoul.
 *
 * Every value is a pure function of (seed, anchorDate, date, campaign id): each campaign-day draws
 * from its own PRNG, so a day's facts never depend on how many days are generated or in which
 * order. Plausible KRW numbers: brand search ~120k won a day, generic search ~380k, display
 * prospecting ~220k; search CTR ~5%, display ~0.5%; ~10–12 search conversions a day worth about
 * 58,000 won each; weekends quieter, a gentle trend, ±10% noise, and conversions × 0.55 inside
 * the planted dip (the checkout broke; clicks and cost carry on).
 *
 * Cost is a whole number of won (cost_micros a multiple of 1,000,000) and conversions come in
 * halves (data-driven attribution makes them fractional), so sums are exact in floating point.
 */
import { between, jitter, count, randomCount, rngFor } from '../../sandbox-kit/seeded-random.ts';
import { dipConversionFactor, inPlantedDip, plantedDipRange, shopCampaigns, trendFactor, weekdayFactor } from '../../sandbox-kit/shop-story.ts';

export { plantedDipRange };

export interface SeedOptions {
  seed: number;
  /** The sandbox's "today", YYYY-MM-DD: no facts after it, the dip ends on it. */
  anchorDate: string;
}

type ShopCampaignName = (typeof shopCampaigns.google_ads)[number];

export interface SandboxCampaign {
  readonly id: string;
  readonly name: ShopCampaignName;
  readonly status: 'ENABLED' | 'PAUSED' | 'REMOVED';
}

export interface SandboxCustomer {
  readonly id: string;
  readonly descriptiveName: string;
  readonly currencyCode: string;
  readonly timeZone: string;
  readonly campaigns: readonly SandboxCampaign[];
}

/** One campaign on one day, as the API reports it (cost in micros of the account currency). */
export interface CampaignDayFact {
  date: string;
  customerId: string;
  campaignId: string;
  campaignName: string;
  campaignStatus: string;
  impressions: number;
  clicks: number;
  costMicros: number;
  conversions: number;
  conversionsValue: number;
}

interface CampaignProfile {
  /** Won a weekday at anchorDate, before noise. */
  readonly spendKrw: number;
  readonly cpcKrw: number;
  readonly ctr: number;
  /** Conversions per click. */
  readonly conversionRate: number;
}

const profiles: Record<ShopCampaignName, CampaignProfile> = {
  brand_search: { spendKrw: 120_000, cpcKrw: 430, ctr: 0.055, conversionRate: 0.026 },
  generic_search: { spendKrw: 380_000, cpcKrw: 1_200, ctr: 0.045, conversionRate: 0.017 },
  display_prospecting: { spendKrw: 220_000, cpcKrw: 1_100, ctr: 0.005, conversionRate: 0.004 },
};

const [brandSearch, genericSearch, displayProspecting] = shopCampaigns.google_ads;

/** The shop's two client accounts: search in one, display in the other. */
export const sandboxCustomers: readonly SandboxCustomer[] = [
  {
    id: '1234567890', descriptiveName: 'Shop KR – Search', currencyCode: 'KRW', timeZone: 'Asia/Seoul',
    campaigns: [
      { id: '20481000001', name: brandSearch, status: 'ENABLED' },
      { id: '20481000002', name: genericSearch, status: 'ENABLED' },
    ],
  },
  {
    id: '9876543210', descriptiveName: 'Shop KR – Display', currencyCode: 'KRW', timeZone: 'Asia/Seoul',
    campaigns: [{ id: '20481000003', name: displayProspecting, status: 'ENABLED' }],
  },
];

/** The manager account (MCC) both clients are linked to. */
export const sandboxManagerCustomerId = '1112223333';

const averageOrderValueKrw = 58_000;
const dayNoise = 0.05;
const rowNoise = 0.1;

/** One campaign's facts for a day; undefined after anchorDate or when nothing was served. */
export function campaignFactFor(customer: SandboxCustomer, campaign: SandboxCampaign, date: string, options: SeedOptions): CampaignDayFact | undefined {
  if (date > options.anchorDate || campaign.status !== 'ENABLED') return undefined;
  const profile = profiles[campaign.name];
  const dayRandom = rngFor(options.seed, date, 'google_ads|day');
  const dayFactor = weekdayFactor(date) * trendFactor(date, options.anchorDate) * jitter(dayRandom, dayNoise);
  const random = rngFor(options.seed, date, `google_ads|${customer.id}|${campaign.id}`);

  const spendKrw = count(profile.spendKrw * dayFactor * jitter(random, rowNoise));
  const clicks = count(spendKrw / (profile.cpcKrw * jitter(random, 0.08)));
  const impressions = Math.max(clicks, count(clicks / (profile.ctr * jitter(random, rowNoise))));
  const conversionFactor = inPlantedDip(date, options.anchorDate) ? dipConversionFactor : 1;
  // Whole conversions plus, now and then, half of one shared with another touchpoint.
  const conversions = randomCount(random, 2 * clicks * profile.conversionRate * conversionFactor * jitter(random, 0.15)) / 2;
  const conversionsValue = count(conversions * averageOrderValueKrw * between(random, 0.88, 1.12));
  if (impressions === 0 && clicks === 0 && spendKrw === 0) return undefined;
  return {
    date,
    customerId: customer.id,
    campaignId: campaign.id,
    campaignName: campaign.name,
    campaignStatus: campaign.status,
    impressions,
    clicks,
    costMicros: spendKrw * 1_000_000,
    conversions,
    conversionsValue,
  };
}

/** Every campaign fact of one customer for a day. */
export function customerFactsFor(customer: SandboxCustomer, date: string, options: SeedOptions): CampaignDayFact[] {
  return customer.campaigns.flatMap((campaign) => campaignFactFor(customer, campaign, date, options) ?? []);
}

/** Every campaign fact of every customer for a day (the default accounts unless others are given). */
export function campaignFactsFor(date: string, options: SeedOptions, customers: readonly SandboxCustomer[] = sandboxCustomers): CampaignDayFact[] {
  return customers.flatMap((customer) => customerFactsFor(customer, date, options));
}
