import { z } from 'zod';
import { SecretName, SourceBase } from '../../core/config/schema.ts';

/** The eight CRM objects synced by default; each becomes table `salesforce_<object in snake_case>`. */
export const defaultSalesforceObjects = [
  'Lead', 'Contact', 'Account', 'Opportunity', 'OpportunityHistory', 'Campaign', 'CampaignMember', 'User',
] as const;

/**
 * Real-mode auth; the secret holds the credential JSON (never the file):
 * - refresh_token: `{ "client_id", "client_secret", "refresh_token" }` of a connected app (web-server flow done once)
 * - jwt_bearer: `{ "client_id", "username", "private_key" }` (connected app with a certificate; the usual server-to-server choice)
 * - username_password: `{ "username", "password", "security_token", "client_id"?, "client_secret"? }`
 *   (with client_id/client_secret the OAuth password grant, else the SOAP login, which Salesforce retires with API 65.0)
 * - access_token: a bearer token string or `{ "access_token" }` issued elsewhere (short-lived; the sandbox uses this)
 */
export const SalesforceAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('refresh_token'), secret: SecretName }),
  z.object({ type: z.literal('jwt_bearer'), secret: SecretName }),
  z.object({ type: z.literal('username_password'), secret: SecretName }),
  z.object({ type: z.literal('access_token'), secret: SecretName }),
], { message: 'write auth.type: refresh_token, jwt_bearer, username_password or access_token' });
export type SalesforceAuth = z.infer<typeof SalesforceAuth>;

/** An sObject or field API name: `Lead`, `Invoice__c`, `MQL_Date__c`. */
const ApiName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, {
  message: 'write a Salesforce API name, e.g. Opportunity or Invoice__c',
});

const BaseUrl = z.url().transform((url) => url.replace(/\/+$/, ''));

export const LeadSettings = z.object({
  /** Date (or datetime) field on Lead holding when it became marketing-qualified; fills column `mql_date`. */
  mqlDateField: ApiName.default('MQL_Date__c'),
  /** Date (or datetime) field on Lead holding when it became sales-qualified; fills column `sql_date`. */
  sqlDateField: ApiName.default('SQL_Date__c'),
});

export const SalesforceSourceConfig = SourceBase.extend({
  type: z.literal('salesforce'),
  /** `https://<my-domain>.my.salesforce.com`; a token response's instance_url wins when it differs. */
  instanceUrl: BaseUrl.optional(),
  /** Where OAuth token requests go (`https://test.salesforce.com` for Salesforce sandbox orgs, or your My Domain). */
  loginUrl: BaseUrl.default('https://login.salesforce.com'),
  apiVersion: z.string().regex(/^\d{2,3}\.0$/, { message: 'write the REST API version as e.g. "62.0"' }).default('62.0'),
  auth: SalesforceAuth.optional(),
  /** sObjects to sync; custom objects (`Invoice__c`) are welcome and become `salesforce_invoice__c`. */
  objects: z.array(ApiName).min(1).default([...defaultSalesforceObjects])
    .refine((objects) => new Set(objects).size === objects.length, { message: 'list each object once' }),
  lead: LeadSettings.default({ mqlDateField: 'MQL_Date__c', sqlDateField: 'SQL_Date__c' }),
  /** Each run re-reads this much before the cursor: SystemModstamp values can commit out of order. */
  overlapSeconds: z.number().int().min(0).max(86_400).default(300),
  /** Use Bulk API 2.0 for an object whose first sync would read more rows than this; the choice is pinned per object. */
  bulkThreshold: z.number().int().min(0).default(50_000),
  /** Rows per Bulk API 2.0 results page (`maxRecords`). */
  bulkPageSize: z.number().int().min(1).max(1_000_000).default(50_000),
  /** First wait between Bulk job status polls; it doubles up to 30 s. */
  bulkPollIntervalMs: z.number().int().min(10).max(60_000).default(2_000),
  /** How long a Bulk query job may take before the run fails (it resumes from the cursor next run). */
  bulkTimeoutSeconds: z.number().int().min(1).max(86_400).default(1_800),
  /** Stop cleanly (and resume next run) once the org's daily API usage passes this share of its limit. */
  apiUsageLimitShare: z.number().gt(0).max(1).default(0.8),
  /** REST query batch size (`Sforce-Query-Options: batchSize`); Salesforce allows 200–2,000. */
  pageSize: z.number().int().min(200).max(2_000).default(2_000),
}).superRefine((config, context) => {
  if (config.sandbox) return;
  if (!config.auth) {
    context.addIssue({
      code: 'custom', path: ['auth'],
      message: 'add auth: { type: jwt_bearer, secret: <secret name> } (or sandbox: {} to use the bundled sandbox)',
    });
  }
  if (!config.instanceUrl) {
    context.addIssue({
      code: 'custom', path: ['instanceUrl'],
      message: 'add instanceUrl: https://<your-domain>.my.salesforce.com (or sandbox: {} to use the bundled sandbox)',
    });
  }
});
export type SalesforceSourceConfig = z.infer<typeof SalesforceSourceConfig>;
