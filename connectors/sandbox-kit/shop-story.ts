import { addDays, daysBetween, isoWeekday } from '../../core/dates.ts';

/**
 * The one story every sandbox tells, so cross-source KPIs make sense: a Korean online shop
 * (KRW, Asia/Seoul) whose campaigns carry the same names in GA4 (UTM campaign) and in each ad
 * platform, with weekday seasonality, a gentle trend and a planted dip in the last complete week.
 */

/** The planted dip: Monday of the last complete ISO week (Mon–Sun) before anchorDate, through anchorDate. */
export function plantedDipRange(anchorDate: string): { from: string; to: string } {
  const lastSunday = addDays(anchorDate, -(isoWeekday(anchorDate) % 7 || 7));
  return { from: addDays(lastSunday, -6), to: anchorDate };
}

export function inPlantedDip(date: string, anchorDate: string): boolean {
  const dip = plantedDipRange(anchorDate);
  return date >= dip.from && date <= dip.to;
}

/** Conversions (purchases, leads) are multiplied by this inside the dip: the checkout broke. */
export const dipConversionFactor = 0.55;

/** Weekends are quieter. */
export function weekdayFactor(date: string): number {
  return isoWeekday(date) >= 6 ? 0.75 : 1;
}

/** Growth of ~0.1% a day, measured back from anchorDate (1.0 on the anchor). */
export function trendFactor(date: string, anchorDate: string): number {
  return Math.pow(1.001, daysBetween(anchorDate, date));
}

/** The shop's paid campaigns, by platform; names match GA4's sessionCampaignName. */
export const shopCampaigns = {
  google_ads: ['brand_search', 'generic_search', 'display_prospecting'],
  meta: ['spring_sale', 'retargeting'],
  linkedin: ['b2b_webinar'],
  tiktok: ['tiktok_awareness'],
} as const;
