import { z } from 'zod';

/**
 * The TikTok Marketing API (v1.3) wire shapes the connector relies on, parsed at the boundary.
 *
 * Every response is an envelope `{ code, message, request_id, data }`, almost always with HTTP 200:
 * `code` 0 is success and anything else is an error, whatever the HTTP status says.
 */
export const TiktokEnvelope = z.object({
  code: z.number().int(),
  message: z.string().default(''),
  request_id: z.string().optional(),
  data: z.unknown().optional(),
}).loose();
export type TiktokEnvelope = z.infer<typeof TiktokEnvelope>;

/** Ids are int64 on TikTok's side and usually travel as strings; accept a number too. */
const Id = z.union([z.string().min(1), z.number().int()]).transform(String);

export const PageInfo = z.object({
  page: z.number().int(),
  page_size: z.number().int(),
  total_number: z.number().int(),
  total_page: z.number().int(),
}).loose();
export type PageInfo = z.infer<typeof PageInfo>;

/**
 * One report row as it comes: `{ dimensions: { campaign_id, stat_time_day: "YYYY-MM-DD 00:00:00" },
 * metrics: { spend: "12.30", … } }`, metric values strings ("-" or empty when TikTok has none). Not
 * checked here: each row is checked as it is mapped (mappers.ts `toCampaignDailyRow`), so one odd
 * row goes to `_rejects` instead of failing its page.
 */
export interface ReportRow {
  readonly dimensions?: unknown;
  readonly metrics?: unknown;
  readonly [field: string]: unknown;
}

/** `data` of GET /report/integrated/get/: the paging is checked here, the rows one by one when mapped. */
export const ReportPage = z.object({
  list: z.array(z.unknown()).default([]),
  page_info: PageInfo.optional(),
}).loose();
export type ReportPage = z.infer<typeof ReportPage>;

export const AdvertiserInfo = z.object({
  advertiser_id: Id,
  name: z.string().optional(),
  /** ISO 4217, e.g. KRW. */
  currency: z.string().optional(),
  /** The account's reporting zone, e.g. "Asia/Seoul" or "Etc/GMT-9" (fixed offset, no daylight saving). */
  timezone: z.string().optional(),
  /** A display name for the zone, e.g. "Asia/Seoul". */
  display_timezone: z.string().optional(),
}).loose();
export type AdvertiserInfo = z.infer<typeof AdvertiserInfo>;

/** `data` of GET /advertiser/info/. */
export const AdvertiserInfoData = z.object({ list: z.array(AdvertiserInfo).default([]) }).loose();
export type AdvertiserInfoData = z.infer<typeof AdvertiserInfoData>;

export const CampaignInfo = z.object({
  campaign_id: Id,
  campaign_name: z.string().optional(),
  /** ENABLE or DISABLE. */
  operation_status: z.string().optional(),
}).loose();
export type CampaignInfo = z.infer<typeof CampaignInfo>;

/** `data` of GET /campaign/get/. */
export const CampaignPage = z.object({
  list: z.array(CampaignInfo).default([]),
  page_info: PageInfo.optional(),
}).loose();
export type CampaignPage = z.infer<typeof CampaignPage>;

/** One daily campaign report request (one advertiser, one date span, all pages). */
export interface ReportQuery {
  readonly advertiserId: string;
  /** Both inclusive, YYYY-MM-DD in the advertiser's time zone. */
  readonly startDate: string;
  readonly endDate: string;
  readonly pageSize: number;
}

export const reportDimensions = ['campaign_id', 'stat_time_day'] as const;

/**
 * Metrics requested per campaign and day. `conversion` counts the campaign's optimization event;
 * `total_complete_payment_rate` is, despite its name, the total VALUE of Complete Payment (purchase)
 * events attributed to the ads, in the account currency: the conversion value a shop's ROAS needs.
 */
export const reportMetrics = ['campaign_name', 'spend', 'impressions', 'clicks', 'conversion', 'total_complete_payment_rate'] as const;

export const advertiserInfoFields = ['name', 'currency', 'timezone', 'display_timezone'] as const;

export const campaignFields = ['campaign_id', 'campaign_name', 'operation_status'] as const;
