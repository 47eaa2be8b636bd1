/**
 * Seeded synthetic LinkedIn Ads data for the sandbox: the shop's B2B webinar push. One ad account in
 * USD (so the pipeline's FX conversion to the KRW reporting currency has work to do) with the
 * campaign group `b2b_webinar` (the unified model's campaign, named as in GA4's UTM campaign) holding
 * two LinkedIn campaigns, plus the "Default Campaign Group" LinkedIn creates with every account.
 *
 * Every value is a pure function of (seed, anchorDate, date, account id, campaign id): each campaign-day
 * draws from its own PRNG, so a day never depends on how many days are generated or in which order.
 * About US$180 a day in total at the anchor (weekends 25% lower, +0.1%/day trend, ±10% noise), CTR
 * about 0.5%, a few website conversions (webinar sign-ups) a day with a value in USD, and the shop's
 * planted dip: conversions × 0.55 from the Monday of the last complete week through the anchor.
 */
import { between, count, jitter, randomCount, rngFor } from '../../sandbox-kit/seeded-random.ts';
import { dipConversionFactor, inPlantedDip, shopCampaigns, trendFactor, weekdayFactor } from '../../sandbox-kit/shop-story.ts';

export interface LinkedinSandboxCampaign {
  readonly id: string;
  readonly name: string;
  /** Only ACTIVE campaigns deliver; the others are listed by the finder and have no analytics. */
  readonly status: 'ACTIVE' | 'PAUSED' | 'ARCHIVED' | 'COMPLETED' | 'CANCELED' | 'DRAFT';
  /** Weekday spend at the anchor date, in the account currency. */
  readonly dailySpend: number;
  /** Cost per 1,000 impressions, account currency. */
  readonly cpm: number;
  /** Clicks per impression. */
  readonly ctr: number;
  /** Website conversions per click. */
  readonly conversionRate: number;
  /** Conversion value per conversion, account currency. */
  readonly valuePerConversion: number;
}

export interface LinkedinSandboxCampaignGroup {
  readonly id: string;
  readonly name: string;
  readonly status: 'ACTIVE' | 'PAUSED' | 'ARCHIVED' | 'CANCELED' | 'DRAFT';
  readonly campaigns: readonly LinkedinSandboxCampaign[];
}

export interface LinkedinSandboxAccount {
  readonly id: string;
  readonly name: string;
  /** ISO 4217: cost and conversion value are reported in it. */
  readonly currency: string;
  readonly campaignGroups: readonly LinkedinSandboxCampaignGroup[];
}

export interface LinkedinSeedOptions {
  readonly seed: number;
  /** The sandbox's "today" (UTC), YYYY-MM-DD: no facts after it, the planted dip ends on it. */
  readonly anchorDate: string;
}

/** One campaign's day, as adAnalytics reports it (money rounded to cents). */
export interface LinkedinCampaignDayFact {
  readonly date: string;
  readonly accountId: string;
  readonly campaignId: string;
  readonly impressions: number;
  readonly clicks: number;
  readonly spend: number;
  readonly conversions: number;
  readonly conversionValue: number;
}

export const LINKEDIN_SANDBOX_ACCOUNT_ID = '512345678';

const [webinarGroupName] = shopCampaigns.linkedin;

/** The shop's one LinkedIn ad account (id overridable, e.g. to match a config's accountIds). */
export function defaultLinkedinSandboxAccount(id: string = LINKEDIN_SANDBOX_ACCOUNT_ID): LinkedinSandboxAccount {
  return {
    id,
    name: 'Seoul Shop B2B',
    currency: 'USD',
    campaignGroups: [
      {
        id: '634120001', name: webinarGroupName, status: 'ACTIVE',
        campaigns: [
          { id: '781230001', name: `${webinarGroupName}_leadgen`, status: 'ACTIVE', dailySpend: 110, cpm: 38, ctr: 0.0052, conversionRate: 0.15, valuePerConversion: 45 },
          { id: '781230002', name: `${webinarGroupName}_retarget`, status: 'ACTIVE', dailySpend: 70, cpm: 30, ctr: 0.0048, conversionRate: 0.12, valuePerConversion: 45 },
        ],
      },
      // LinkedIn creates this group with every account; here it is empty.
      { id: '634120000', name: 'Default Campaign Group', status: 'ACTIVE', campaigns: [] },
    ],
  };
}

function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** One campaign's facts for a day; undefined when it did not deliver (LinkedIn then omits the element). */
export function campaignDayFact(
  date: string, account: LinkedinSandboxAccount, campaign: LinkedinSandboxCampaign, options: LinkedinSeedOptions,
): LinkedinCampaignDayFact | undefined {
  if (date > options.anchorDate || campaign.status !== 'ACTIVE') return undefined;
  const random = rngFor(options.seed, date, `linkedin/${account.id}/${campaign.id}`);
  const spend = cents(campaign.dailySpend * weekdayFactor(date) * trendFactor(date, options.anchorDate) * jitter(random, 0.1));
  const impressions = count((spend / campaign.cpm) * 1000 * jitter(random, 0.05));
  if (impressions === 0) return undefined;
  const clicks = Math.min(impressions, count(impressions * campaign.ctr * jitter(random, 0.1)));
  const dip = inPlantedDip(date, options.anchorDate) ? dipConversionFactor : 1;
  const conversions = randomCount(random, clicks * campaign.conversionRate * dip * jitter(random, 0.2));
  const conversionValue = cents(conversions * campaign.valuePerConversion * between(random, 0.9, 1.1));
  return { date, accountId: account.id, campaignId: campaign.id, impressions, clicks, spend, conversions, conversionValue };
}

/** Every delivering campaign of the given accounts on one day, by account then campaign id. */
export function campaignFactsFor(date: string, accounts: readonly LinkedinSandboxAccount[], options: LinkedinSeedOptions): LinkedinCampaignDayFact[] {
  const facts: LinkedinCampaignDayFact[] = [];
  for (const account of accounts) {
    const campaigns = account.campaignGroups.flatMap((group) => group.campaigns).sort((a, b) => compareIds(a.id, b.id));
    for (const campaign of campaigns) {
      const fact = campaignDayFact(date, account, campaign, options);
      if (fact) facts.push(fact);
    }
  }
  return facts;
}

/** LinkedIn ids are longs: compare them as numbers. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
