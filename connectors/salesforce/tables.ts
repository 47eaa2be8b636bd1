import type { Column, TableSchema } from '../../core/table/schema.ts';
import { defaultSalesforceObjects } from './config.ts';
import { tableNameOf } from './names.ts';

/**
 * The columns every Salesforce table declares before any sync (the catalog, Glue, the KPI SQL rely on
 * them). A sync adds every other describe field as a column (`schema` event); a declared field the
 * org lacks stays, null.
 */

/** Columns every object has (first) … */
export const leadingColumns: readonly Column[] = [
  { name: 'id', type: 'string', nullable: false, description: 'Record Id (18 characters)' },
  { name: 'is_deleted', type: 'boolean', description: 'IsDeleted: the record is in the recycle bin (read through queryAll); null where the object has no IsDeleted (User)' },
  {
    name: 'system_modstamp', type: 'timestamp', nullable: false,
    description: 'SystemModstamp (UTC): when the record last changed, by a user or an automated process; the sync cursor. For an object without it: its LastModifiedDate, else CreatedDate',
  },
  { name: 'created_date', type: 'timestamp', description: 'CreatedDate (UTC)' },
  { name: 'last_modified_date', type: 'timestamp', description: 'LastModifiedDate (UTC); null where the object has none (OpportunityHistory)' },
];

/** … and last. */
export const trailingColumns: readonly Column[] = [
  { name: 'modstamp_date', type: 'date', nullable: false, description: 'UTC date of system_modstamp; the dt= partition of the version' },
  { name: 'source_id', type: 'string', nullable: false, description: 'pipeline.yaml source id that wrote the row' },
  { name: 'synced_at', type: 'timestamp', nullable: false, description: 'When this version was read from Salesforce (UTC)' },
];

/** Columns the connector computes rather than reads from a field of the same name. */
export const derivedColumnNames: ReadonlySet<string> = new Set(['modstamp_date', 'source_id', 'synced_at', 'mql_date', 'sql_date']);

const text = (name: string, description: string): Column => ({ name, type: 'string', description });

const objectColumns: Readonly<Record<string, { description: string; columns: readonly Column[] }>> = {
  Lead: {
    description: 'Salesforce Lead versions (one row per SystemModstamp seen); statuses Open → MQL → SQL → Converted in the demo org.',
    columns: [
      text('status', 'Status (picklist), e.g. Open, MQL, SQL, Converted'),
      text('lead_source', 'LeadSource (picklist)'),
      text('company', 'Company'),
      text('owner_id', 'OwnerId (User or Queue)'),
      { name: 'is_converted', type: 'boolean', description: 'IsConverted' },
      { name: 'converted_date', type: 'date', description: 'ConvertedDate (org-local date)' },
      text('converted_opportunity_id', 'ConvertedOpportunityId: the opportunity created at conversion, if any'),
      text('converted_account_id', 'ConvertedAccountId'),
      { name: 'mql_date', type: 'date', description: 'Date the lead became marketing-qualified: the field named by lead.mqlDateField (default MQL_Date__c); null when the org lacks it' },
      { name: 'sql_date', type: 'date', description: 'Date the lead became sales-qualified: the field named by lead.sqlDateField (default SQL_Date__c); null when the org lacks it' },
    ],
  },
  Contact: {
    description: 'Salesforce Contact versions.',
    columns: [text('account_id', 'AccountId'), text('lead_source', 'LeadSource (picklist)'), text('owner_id', 'OwnerId')],
  },
  Account: {
    description: 'Salesforce Account versions.',
    columns: [text('name', 'Name'), text('type', 'Type (picklist)'), text('industry', 'Industry (picklist)'), text('owner_id', 'OwnerId')],
  },
  Opportunity: {
    description: 'Salesforce Opportunity versions; amounts in the org currency.',
    columns: [
      text('name', 'Name'),
      text('account_id', 'AccountId'),
      text('campaign_id', 'CampaignId: the primary campaign source'),
      text('owner_id', 'OwnerId'),
      text('stage_name', 'StageName (picklist), e.g. Prospecting … Closed Won / Closed Lost'),
      { name: 'amount', type: 'double', description: 'Amount (currency, org currency)' },
      { name: 'probability', type: 'double', description: 'Probability (percent, 0–100)' },
      { name: 'is_closed', type: 'boolean', description: 'IsClosed' },
      { name: 'is_won', type: 'boolean', description: 'IsWon' },
      { name: 'close_date', type: 'date', description: 'CloseDate (org-local date): expected, or actual once closed' },
      text('lead_source', 'LeadSource (picklist)'),
      text('type', 'Type (picklist), e.g. New Business'),
    ],
  },
  OpportunityHistory: {
    description: 'Salesforce OpportunityHistory rows: one per stage, amount or close-date change of an opportunity.',
    columns: [
      text('opportunity_id', 'OpportunityId'),
      text('stage_name', 'StageName after the change'),
      { name: 'amount', type: 'double', description: 'Amount after the change (currency)' },
      { name: 'close_date', type: 'date', description: 'CloseDate after the change' },
    ],
  },
  Campaign: {
    description: 'Salesforce Campaign versions; names match the GA4 / ad platform campaign names (UTM campaign).',
    columns: [
      text('name', 'Name'),
      text('type', 'Type (picklist)'),
      text('status', 'Status (picklist)'),
      { name: 'start_date', type: 'date', description: 'StartDate' },
      { name: 'end_date', type: 'date', description: 'EndDate' },
      { name: 'budgeted_cost', type: 'double', description: 'BudgetedCost (currency)' },
      { name: 'actual_cost', type: 'double', description: 'ActualCost (currency)' },
    ],
  },
  CampaignMember: {
    description: 'Salesforce CampaignMember versions: a lead or contact in a campaign.',
    columns: [
      text('campaign_id', 'CampaignId'),
      text('lead_id', 'LeadId'),
      text('contact_id', 'ContactId'),
      text('status', 'Status (picklist), e.g. Sent, Responded'),
      { name: 'has_responded', type: 'boolean', description: 'HasResponded' },
      { name: 'first_responded_date', type: 'date', description: 'FirstRespondedDate' },
    ],
  },
  User: {
    description: 'Salesforce User versions (record owners).',
    columns: [text('name', 'Name'), { name: 'is_active', type: 'boolean', description: 'IsActive' }, text('department', 'Department')],
  },
};

/** The table an object's stream writes: declared columns only (a sync adds the rest from describe). */
export function tableOf(objectName: string): TableSchema {
  const known = Object.hasOwn(objectColumns, objectName) ? objectColumns[objectName] : undefined;
  const name = tableNameOf(objectName);
  return {
    name,
    description: known?.description ?? `Salesforce ${objectName} versions (one row per SystemModstamp seen).`,
    location: `raw/${name}`,
    columns: [...leadingColumns, ...(known?.columns ?? []), ...trailingColumns],
  };
}

/** The static catalog: the default objects' tables. Custom objects' tables exist once configured. */
export const salesforceTables: readonly TableSchema[] = defaultSalesforceObjects.map(tableOf);
