import { z } from 'zod';

/** The parts of Salesforce's REST and Bulk API 2.0 bodies the connector relies on, parsed at the boundary. */

/** `GET /sobjects/{Object}/describe` → `fields[]`. */
export const DescribeField = z.object({
  name: z.string().min(1),
  type: z.string().min(1),
  nillable: z.boolean().optional(),
  custom: z.boolean().optional(),
  /** Set on the components of a compound field (BillingCity → BillingAddress). */
  compoundFieldName: z.string().nullable().optional(),
}).loose();
export type DescribeField = z.infer<typeof DescribeField>;

export const DescribeResult = z.object({
  name: z.string(),
  fields: z.array(DescribeField),
}).loose();
export type DescribeResult = z.infer<typeof DescribeResult>;

/** A REST query record: `attributes` plus the selected fields in their JSON types. */
export const QueryRecord = z.record(z.string(), z.unknown());
export type QueryRecord = z.infer<typeof QueryRecord>;

/** `GET /query?q=…`, `/queryAll?q=…` and `nextRecordsUrl` pages. */
export const QueryResult = z.object({
  totalSize: z.number().int().min(0),
  done: z.boolean(),
  nextRecordsUrl: z.string().min(1).optional(),
  records: z.array(QueryRecord),
}).loose();
export type QueryResult = z.infer<typeof QueryResult>;

/** A Bulk API 2.0 query job (`POST /jobs/query`, `GET /jobs/query/{id}`). */
export const BulkQueryJob = z.object({
  id: z.string().min(1),
  state: z.string().min(1),
  operation: z.string().optional(),
  object: z.string().optional(),
  numberRecordsProcessed: z.number().optional(),
  errorMessage: z.string().nullable().optional(),
}).loose();
export type BulkQueryJob = z.infer<typeof BulkQueryJob>;

/** An OAuth token endpoint answer (refresh_token, jwt-bearer and password grants). */
export const TokenResponse = z.object({
  access_token: z.string().min(1),
  instance_url: z.url(),
  id: z.string().optional(),
  token_type: z.string().optional(),
}).loose();
export type TokenResponse = z.infer<typeof TokenResponse>;

/** `GET /limits` (only what the connector reads). */
export const OrgLimits = z.object({
  DailyApiRequests: z.object({ Max: z.number(), Remaining: z.number() }),
}).loose();
export type OrgLimits = z.infer<typeof OrgLimits>;

/** `Sforce-Limit-Info: api-usage=USED/LIMIT` → numbers. */
export interface ApiUsage {
  readonly used: number;
  readonly limit: number;
}

export function parseLimitInfo(header: string | undefined): ApiUsage | undefined {
  const match = header ? /api-usage=(\d+)\/(\d+)/.exec(header) : null;
  return match ? { used: Number(match[1]), limit: Number(match[2]) } : undefined;
}
