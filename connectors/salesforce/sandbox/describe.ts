/**
 * The sandbox org's metadata: the fields `GET /sobjects/{Object}/describe` reports for each object,
 * modelled on the standard objects of a Sales Cloud org (a subset of their fields, the real names and
 * types), plus the demo org's two custom Lead fields MQL_Date__c and SQL_Date__c. Compound fields
 * (Address, BillingAddress, MailingAddress) are listed with their components, as Salesforce does.
 * User has no IsDeleted and OpportunityHistory no LastModifiedDate, as in a real org.
 */

export const sandboxObjectNames = [
  'User', 'Campaign', 'Account', 'Contact', 'Lead', 'Opportunity', 'OpportunityHistory', 'CampaignMember',
] as const;
export type SandboxObjectName = typeof sandboxObjectNames[number];

export interface SandboxField {
  readonly name: string;
  readonly type: string;
  readonly label: string;
  readonly nillable?: boolean;
  readonly custom?: boolean;
  readonly compoundFieldName?: string;
  readonly referenceTo?: readonly string[];
}

/** Three-character key prefixes, as in every org. */
export const keyPrefixes: Readonly<Record<SandboxObjectName, string>> = {
  User: '005', Campaign: '701', Account: '001', Contact: '003', Lead: '00Q', Opportunity: '006', OpportunityHistory: '008', CampaignMember: '00v',
};

const f = (name: string, type: string, label: string, extra: Partial<SandboxField> = {}): SandboxField => ({ name, type, label, ...extra });
const ref = (name: string, label: string, to: string, extra: Partial<SandboxField> = {}): SandboxField => f(name, 'reference', label, { referenceTo: [to], ...extra });

const idField = f('Id', 'id', 'Record ID', { nillable: false });
const isDeleted = f('IsDeleted', 'boolean', 'Deleted', { nillable: false });
const audit: readonly SandboxField[] = [
  f('CreatedDate', 'datetime', 'Created Date', { nillable: false }),
  ref('CreatedById', 'Created By ID', 'User', { nillable: false }),
  f('LastModifiedDate', 'datetime', 'Last Modified Date', { nillable: false }),
  ref('LastModifiedById', 'Last Modified By ID', 'User', { nillable: false }),
  f('SystemModstamp', 'datetime', 'System Modstamp', { nillable: false }),
];

function address(prefix: string, compound: string, label: string): SandboxField[] {
  const c = { compoundFieldName: compound };
  return [
    f(`${prefix}Street`, 'textarea', `${label} Street`, c),
    f(`${prefix}City`, 'string', `${label} City`, c),
    f(`${prefix}State`, 'string', `${label} State/Province`, c),
    f(`${prefix}PostalCode`, 'string', `${label} Zip/Postal Code`, c),
    f(`${prefix}Country`, 'string', `${label} Country`, c),
    f(`${prefix}Latitude`, 'double', `${label} Latitude`, c),
    f(`${prefix}Longitude`, 'double', `${label} Longitude`, c),
    f(`${prefix}GeocodeAccuracy`, 'picklist', `${label} Geocode Accuracy`, c),
    f(compound, 'address', `${label} Address`),
  ];
}

export const sandboxFields: Readonly<Record<SandboxObjectName, readonly SandboxField[]>> = {
  User: [
    idField,
    f('Username', 'string', 'Username', { nillable: false }),
    f('LastName', 'string', 'Last Name', { nillable: false }),
    f('FirstName', 'string', 'First Name'),
    f('Name', 'string', 'Full Name', { nillable: false }),
    f('CompanyName', 'string', 'Company Name'),
    f('Department', 'string', 'Department'),
    f('Title', 'string', 'Title'),
    f('Email', 'email', 'Email', { nillable: false }),
    f('Alias', 'string', 'Alias', { nillable: false }),
    f('IsActive', 'boolean', 'Active', { nillable: false }),
    f('TimeZoneSidKey', 'picklist', 'Time Zone', { nillable: false }),
    f('LocaleSidKey', 'picklist', 'Locale', { nillable: false }),
    f('LanguageLocaleKey', 'picklist', 'Language', { nillable: false }),
    f('UserType', 'picklist', 'User Type'),
    ref('ManagerId', 'Manager ID', 'User'),
    ...audit,
  ],
  Campaign: [
    idField, isDeleted,
    f('Name', 'string', 'Name', { nillable: false }),
    ref('ParentId', 'Parent Campaign ID', 'Campaign'),
    f('Type', 'picklist', 'Type'),
    f('Status', 'picklist', 'Status'),
    f('StartDate', 'date', 'Start Date'),
    f('EndDate', 'date', 'End Date'),
    f('ExpectedRevenue', 'currency', 'Expected Revenue in Campaign'),
    f('BudgetedCost', 'currency', 'Budgeted Cost in Campaign'),
    f('ActualCost', 'currency', 'Actual Cost in Campaign'),
    f('ExpectedResponse', 'percent', 'Expected Response (%)'),
    f('IsActive', 'boolean', 'Active', { nillable: false }),
    f('Description', 'textarea', 'Description'),
    ref('OwnerId', 'Owner ID', 'User', { nillable: false }),
    ...audit,
  ],
  Account: [
    idField, isDeleted,
    f('Name', 'string', 'Account Name', { nillable: false }),
    f('Type', 'picklist', 'Account Type'),
    ...address('Billing', 'BillingAddress', 'Billing'),
    f('Phone', 'phone', 'Account Phone'),
    f('Website', 'url', 'Website'),
    f('Industry', 'picklist', 'Industry'),
    f('AnnualRevenue', 'currency', 'Annual Revenue'),
    f('NumberOfEmployees', 'int', 'Employees'),
    f('Description', 'textarea', 'Account Description'),
    f('AccountSource', 'picklist', 'Account Source'),
    ref('OwnerId', 'Owner ID', 'User', { nillable: false }),
    ...audit,
  ],
  Contact: [
    idField, isDeleted,
    ref('AccountId', 'Account ID', 'Account'),
    f('LastName', 'string', 'Last Name', { nillable: false }),
    f('FirstName', 'string', 'First Name'),
    f('Name', 'string', 'Full Name', { nillable: false }),
    ...address('Mailing', 'MailingAddress', 'Mailing'),
    f('Phone', 'phone', 'Business Phone'),
    f('Email', 'email', 'Email'),
    f('Title', 'string', 'Title'),
    f('Department', 'string', 'Department'),
    f('LeadSource', 'picklist', 'Lead Source'),
    f('HasOptedOutOfEmail', 'boolean', 'Email Opt Out', { nillable: false }),
    ref('OwnerId', 'Owner ID', 'User', { nillable: false }),
    ...audit,
  ],
  Lead: [
    idField, isDeleted,
    f('LastName', 'string', 'Last Name', { nillable: false }),
    f('FirstName', 'string', 'First Name'),
    f('Name', 'string', 'Full Name', { nillable: false }),
    f('Title', 'string', 'Title'),
    f('Company', 'string', 'Company', { nillable: false }),
    ...address('', 'Address', 'Address'),
    f('Phone', 'phone', 'Phone'),
    f('Email', 'email', 'Email'),
    f('Website', 'url', 'Website'),
    f('LeadSource', 'picklist', 'Lead Source'),
    f('Status', 'picklist', 'Status', { nillable: false }),
    f('Industry', 'picklist', 'Industry'),
    f('Rating', 'picklist', 'Rating'),
    f('AnnualRevenue', 'currency', 'Annual Revenue'),
    f('NumberOfEmployees', 'int', 'Employees'),
    ref('OwnerId', 'Owner ID', 'User', { nillable: false }),
    f('IsConverted', 'boolean', 'Converted', { nillable: false }),
    f('ConvertedDate', 'date', 'Converted Date'),
    ref('ConvertedAccountId', 'Converted Account ID', 'Account'),
    ref('ConvertedContactId', 'Converted Contact ID', 'Contact'),
    ref('ConvertedOpportunityId', 'Converted Opportunity ID', 'Opportunity'),
    f('IsUnreadByOwner', 'boolean', 'Unread By Owner', { nillable: false }),
    ...audit,
    f('LastActivityDate', 'date', 'Last Activity'),
    f('MQL_Date__c', 'date', 'MQL Date', { custom: true }),
    f('SQL_Date__c', 'date', 'SQL Date', { custom: true }),
  ],
  Opportunity: [
    idField, isDeleted,
    ref('AccountId', 'Account ID', 'Account'),
    f('Name', 'string', 'Name', { nillable: false }),
    f('Description', 'textarea', 'Description'),
    f('StageName', 'picklist', 'Stage', { nillable: false }),
    f('Amount', 'currency', 'Amount'),
    f('Probability', 'percent', 'Probability (%)'),
    f('ExpectedRevenue', 'currency', 'Expected Amount'),
    f('CloseDate', 'date', 'Close Date', { nillable: false }),
    f('Type', 'picklist', 'Opportunity Type'),
    f('NextStep', 'string', 'Next Step'),
    f('LeadSource', 'picklist', 'Lead Source'),
    f('IsClosed', 'boolean', 'Closed', { nillable: false }),
    f('IsWon', 'boolean', 'Won', { nillable: false }),
    f('ForecastCategory', 'picklist', 'Forecast Category', { nillable: false }),
    f('ForecastCategoryName', 'picklist', 'Forecast Category'),
    ref('CampaignId', 'Campaign ID', 'Campaign'),
    f('HasOpportunityLineItem', 'boolean', 'Has Line Item', { nillable: false }),
    ref('OwnerId', 'Owner ID', 'User', { nillable: false }),
    ...audit,
    f('LastStageChangeDate', 'datetime', 'Last Stage Change Date'),
    f('FiscalQuarter', 'int', 'Fiscal Quarter'),
    f('FiscalYear', 'int', 'Fiscal Year'),
    f('Fiscal', 'string', 'Fiscal Period'),
  ],
  OpportunityHistory: [
    idField,
    ref('OpportunityId', 'Opportunity ID', 'Opportunity', { nillable: false }),
    ref('CreatedById', 'Created By ID', 'User', { nillable: false }),
    f('CreatedDate', 'datetime', 'Created Date', { nillable: false }),
    f('StageName', 'picklist', 'Stage Name', { nillable: false }),
    f('Amount', 'currency', 'Amount'),
    f('ExpectedRevenue', 'currency', 'Expected Revenue'),
    f('CloseDate', 'date', 'Close Date'),
    f('Probability', 'percent', 'Probability (%)'),
    f('ForecastCategory', 'picklist', 'Forecast Category'),
    f('PrevAmount', 'currency', 'Previous Amount'),
    f('PrevCloseDate', 'date', 'Previous Close Date'),
    f('SystemModstamp', 'datetime', 'System Modstamp', { nillable: false }),
    isDeleted,
  ],
  CampaignMember: [
    idField, isDeleted,
    ref('CampaignId', 'Campaign ID', 'Campaign', { nillable: false }),
    ref('LeadId', 'Lead ID', 'Lead'),
    ref('ContactId', 'Contact ID', 'Contact'),
    f('Status', 'picklist', 'Status'),
    f('HasResponded', 'boolean', 'Responded', { nillable: false }),
    f('FirstRespondedDate', 'date', 'First Responded Date'),
    f('Type', 'string', 'Type'),
    ref('LeadOrContactId', 'Lead or Contact ID', 'Lead'),
    ...audit,
  ],
};

const soapTypes: Readonly<Record<string, string>> = {
  id: 'tns:ID', reference: 'tns:ID', boolean: 'xsd:boolean', int: 'xsd:int', double: 'xsd:double', currency: 'xsd:double',
  percent: 'xsd:double', date: 'xsd:date', datetime: 'xsd:dateTime', address: 'urn:address', location: 'urn:location', base64: 'xsd:base64Binary',
};

/** A describe field the way the REST API lists it (the keys connectors commonly read). */
export function describeFieldJson(field: SandboxField): Record<string, unknown> {
  const compound = field.type === 'address' || field.type === 'location';
  return {
    name: field.name,
    label: field.label,
    type: field.type,
    soapType: soapTypes[field.type] ?? 'xsd:string',
    nillable: field.nillable ?? true,
    custom: field.custom ?? false,
    calculated: false,
    compoundFieldName: field.compoundFieldName ?? null,
    filterable: !compound && field.type !== 'textarea',
    sortable: !compound && field.type !== 'textarea',
    createable: !['Id', 'IsDeleted', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp'].includes(field.name) && !compound,
    updateable: !['Id', 'IsDeleted', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById', 'SystemModstamp'].includes(field.name) && !compound,
    length: ['string', 'picklist', 'phone', 'email', 'url', 'textarea'].includes(field.type) ? (field.type === 'textarea' ? 32_000 : 255) : 0,
    precision: field.type === 'currency' ? 18 : field.type === 'double' || field.type === 'percent' ? 18 : 0,
    scale: field.type === 'currency' || field.type === 'percent' ? 2 : field.type === 'double' ? 15 : 0,
    digits: field.type === 'int' ? 9 : 0,
    referenceTo: field.referenceTo ? [...field.referenceTo] : [],
    relationshipName: field.type === 'reference' && field.name.endsWith('Id') ? field.name.slice(0, -2) : null,
  };
}
