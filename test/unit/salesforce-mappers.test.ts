import { describe, expect, it } from 'vitest';
import { DescribeResult } from '../../connectors/salesforce/api.ts';
import { parseCsvRecords, toCsvLine } from '../../connectors/salesforce/csv.ts';
import { columnTypeOf, planObject, skipReasonOf, toCell, toRow, toTimestamp } from '../../connectors/salesforce/mappers.ts';
import { latestViewNameOf, snakeCase, tableNameOf } from '../../connectors/salesforce/names.ts';
import { salesforceTables, tableOf } from '../../connectors/salesforce/tables.ts';

const context = { sourceId: 'crm', syncedAt: '2026-11-23T01:02:03.000Z' };
const lead = { mqlDateField: 'MQL_Date__c', sqlDateField: 'SQL_Date__c' };

const field = (name: string, type: string, extra: Record<string, unknown> = {}) => ({ name, type, nillable: true, custom: name.endsWith('__c'), ...extra });

/** An Opportunity describe with a compound address, a location, a base64 field and a custom field. */
const opportunityDescribe = DescribeResult.parse({
  name: 'Opportunity',
  fields: [
    field('Id', 'id'), field('IsDeleted', 'boolean'), field('AccountId', 'reference'), field('Name', 'string'),
    field('StageName', 'picklist'), field('Amount', 'currency'), field('Probability', 'percent'), field('CloseDate', 'date'),
    field('IsClosed', 'boolean'), field('IsWon', 'boolean'), field('FiscalYear', 'int'),
    field('ShipStreet__c', 'textarea', { compoundFieldName: 'Ship__c' }), field('Ship__c', 'address'),
    field('Site__Latitude__s', 'double', { compoundFieldName: 'Site__c' }), field('Site__Longitude__s', 'double', { compoundFieldName: 'Site__c' }),
    field('Site__c', 'location'), field('Contract__c', 'base64'), field('Details__c', 'anyType'),
    field('Deal_Score__c', 'double'), field('CreatedDate', 'datetime'), field('LastModifiedDate', 'datetime'), field('SystemModstamp', 'datetime'),
  ],
});

describe('Salesforce names', () => {
  it.each([
    ['SystemModstamp', 'system_modstamp'], ['IsDeleted', 'is_deleted'], ['StageName', 'stage_name'],
    ['ConvertedOpportunityId', 'converted_opportunity_id'], ['MQL_Date__c', 'mql_date__c'], ['Id', 'id'],
    ['NumberOfEmployees', 'number_of_employees'], ['HQ_Location__Latitude__s', 'hq_location__latitude__s'],
    ['SLAExpirationDate__c', 'sla_expiration_date__c'], ['Address2__c', 'address2__c'], ['OpportunityHistory', 'opportunity_history'],
  ])('snake_case of %s is %s', (apiName, expected) => {
    // Prepare: the API name above
    // Act
    const name = snakeCase(apiName);
    // Assess
    expect(name).toBe(expected);
  });

  it('names tables and views salesforce_<object>[_latest], custom objects included', () => {
    // Prepare
    const objects = ['CampaignMember', 'Invoice__c'];
    // Act
    const names = objects.map((o) => [tableNameOf(o), latestViewNameOf(o)]);
    // Assess
    expect(names).toEqual([
      ['salesforce_campaign_member', 'salesforce_campaign_member_latest'],
      ['salesforce_invoice__c', 'salesforce_invoice__c_latest'],
    ]);
  });
});

describe('Salesforce field types', () => {
  it.each([
    ['id', 'string'], ['reference', 'string'], ['string', 'string'], ['picklist', 'string'], ['multipicklist', 'string'],
    ['textarea', 'string'], ['phone', 'string'], ['email', 'string'], ['url', 'string'], ['combobox', 'string'],
    ['boolean', 'boolean'], ['int', 'int64'], ['double', 'double'], ['percent', 'double'], ['currency', 'double'],
    ['date', 'date'], ['datetime', 'timestamp'],
  ])('maps %s to %s', (salesforceType, columnType) => {
    // Prepare: the type above
    // Act
    const mapped = columnTypeOf(salesforceType);
    // Assess
    expect(mapped).toBe(columnType);
  });

  it.each([
    ['address', 'compound field (its components are separate fields)'],
    ['location', 'compound field (its components are separate fields)'],
    ['base64', 'base64 (file body)'],
    ['anyType', 'unsupported type anyType'],
  ])('skips %s fields', (salesforceType, reason) => {
    // Prepare: the type above
    // Act
    const mapped = columnTypeOf(salesforceType);
    const why = skipReasonOf(salesforceType);
    // Assess
    expect(mapped).toBeUndefined();
    expect(why).toBe(reason);
  });
});

describe('planObject', () => {
  it('selects every readable field, keeps compound components, skips compound/base64/opaque fields and adds undeclared fields as columns', () => {
    // Prepare
    const table = tableOf('Opportunity');
    // Act
    const plan = planObject(opportunityDescribe, table);
    // Assess
    expect(plan.cursorField).toBe('SystemModstamp');
    expect(plan.fields.map((f) => f.field)).toEqual([
      'Id', 'IsDeleted', 'AccountId', 'Name', 'StageName', 'Amount', 'Probability', 'CloseDate', 'IsClosed', 'IsWon', 'FiscalYear',
      'ShipStreet__c', 'Site__Latitude__s', 'Site__Longitude__s', 'Deal_Score__c', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp',
    ]);
    expect(plan.skipped).toEqual([
      { field: 'Ship__c', reason: 'compound field (its components are separate fields)' },
      { field: 'Site__c', reason: 'compound field (its components are separate fields)' },
      { field: 'Contract__c', reason: 'base64 (file body)' },
      { field: 'Details__c', reason: 'unsupported type anyType' },
    ]);
    expect(plan.columns.map((c) => c.name)).toEqual([
      ...table.columns.map((c) => c.name),
      'fiscal_year', 'ship_street__c', 'site__latitude__s', 'site__longitude__s', 'deal_score__c',
    ]);
    expect(plan.columns.slice(table.columns.length).map((c) => c.type)).toEqual(['int64', 'string', 'double', 'double', 'double']);
    expect(plan.schemaChanged).toBe(true);
  });

  it('keeps the declared type of a declared column', () => {
    // Prepare: Amount is currency in describe, declared double
    const table = tableOf('Opportunity');
    // Act
    const plan = planObject(opportunityDescribe, table);
    // Assess
    expect(plan.fields.find((f) => f.field === 'Amount')).toEqual({ field: 'Amount', salesforceType: 'currency', column: 'amount', type: 'double' });
    expect(plan.fields.find((f) => f.field === 'CloseDate')?.type).toBe('date');
  });

  it.each([
    [['LastModifiedDate', 'CreatedDate'], 'LastModifiedDate'],
    [['CreatedDate'], 'CreatedDate'],
    [[], undefined],
  ])('falls back to the next cursor field when an object lacks SystemModstamp (has %j → %s)', (present, expected) => {
    // Prepare
    const describeResult = DescribeResult.parse({ name: 'AccountHistory__c', fields: [field('Id', 'id'), ...present.map((name) => field(name, 'datetime'))] });
    // Act
    const plan = planObject(describeResult, tableOf('AccountHistory__c'));
    // Assess
    expect(plan.cursorField).toBe(expected);
  });
});

describe('toRow', () => {
  const plan = planObject(opportunityDescribe, tableOf('Opportunity'));
  const expected = {
    id: '006Kp00000DfRceIAF', is_deleted: false, system_modstamp: '2026-10-15T21:10:03.000Z', created_date: '2026-10-01T03:04:05.000Z',
    last_modified_date: '2026-10-15T21:10:03.000Z', name: '한빛테크 - "기업, 선물" 세트', account_id: '001Kp00000DfRceIAF', campaign_id: null,
    owner_id: null, stage_name: 'Closed Won', amount: 15_000_000, probability: 100, is_closed: true, is_won: true, close_date: '2026-10-16',
    lead_source: null, type: null, modstamp_date: '2026-10-15', source_id: 'crm', synced_at: '2026-11-23T01:02:03.000Z',
    fiscal_year: 2026, ship_street__c: '12 Teheran-ro\n3F', site__latitude__s: 37.5, site__longitude__s: null, deal_score__c: 0.75,
  };

  it('maps a REST record (JSON types, +0000 datetimes) to a row with every column', () => {
    // Prepare
    const record = {
      attributes: { type: 'Opportunity', url: '/services/data/v62.0/sobjects/Opportunity/006Kp00000DfRceIAF' },
      Id: '006Kp00000DfRceIAF', IsDeleted: false, AccountId: '001Kp00000DfRceIAF', Name: '한빛테크 - "기업, 선물" 세트', StageName: 'Closed Won',
      Amount: 15_000_000, Probability: 100, CloseDate: '2026-10-16', IsClosed: true, IsWon: true, FiscalYear: 2026,
      ShipStreet__c: '12 Teheran-ro\n3F', Site__Latitude__s: 37.5, Site__Longitude__s: null, Deal_Score__c: 0.75,
      CreatedDate: '2026-10-01T03:04:05.000+0000', LastModifiedDate: '2026-10-15T21:10:03.000+0000', SystemModstamp: '2026-10-15T21:10:03.000+0000',
    };
    // Act
    const row = toRow(record, plan, context);
    // Assess
    expect(row).toEqual(expected);
  });

  it('maps the same record from Bulk API 2.0 CSV (text, empty for null) to the identical row', () => {
    // Prepare
    const header = ['Id', 'IsDeleted', 'AccountId', 'Name', 'StageName', 'Amount', 'Probability', 'CloseDate', 'IsClosed', 'IsWon', 'FiscalYear',
      'ShipStreet__c', 'Site__Latitude__s', 'Site__Longitude__s', 'Deal_Score__c', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp'];
    const values = ['006Kp00000DfRceIAF', 'false', '001Kp00000DfRceIAF', '한빛테크 - "기업, 선물" 세트', 'Closed Won', '15000000.0', '100.0', '2026-10-16',
      'true', 'true', '2026', '12 Teheran-ro\n3F', '37.5', '', '0.75', '2026-10-01T03:04:05.000Z', '2026-10-15T21:10:03.000Z', '2026-10-15T21:10:03.000Z'];
    const csv = `${toCsvLine(header)}\n${toCsvLine(values)}\n`;
    // Act
    const [record] = parseCsvRecords(csv);
    const row = toRow(record!, plan, context);
    // Assess
    expect(row).toEqual(expected);
  });

  it('fills system_modstamp and modstamp_date from the fallback cursor field', () => {
    // Prepare: an object with CreatedDate only
    const fallback = planObject(DescribeResult.parse({ name: 'Audit__c', fields: [field('Id', 'id'), field('CreatedDate', 'datetime')] }), tableOf('Audit__c'));
    // Act
    const row = toRow({ Id: 'a00Kp0000000001AAA', CreatedDate: '2026-10-15T23:59:59.000+0000' }, fallback, context);
    // Assess
    expect(row).toEqual({
      id: 'a00Kp0000000001AAA', is_deleted: null, system_modstamp: '2026-10-15T23:59:59.000Z', created_date: '2026-10-15T23:59:59.000Z',
      last_modified_date: null, modstamp_date: '2026-10-15', source_id: 'crm', synced_at: '2026-11-23T01:02:03.000Z',
    });
  });

  it('fills mql_date and sql_date from the configured Lead fields, date or datetime', () => {
    // Prepare
    const describeResult = DescribeResult.parse({
      name: 'Lead',
      fields: [field('Id', 'id'), field('Status', 'picklist'), field('Marketing_Qualified__c', 'date'), field('Sales_Qualified_At__c', 'datetime'), field('SystemModstamp', 'datetime')],
    });
    const leadPlan = planObject(describeResult, tableOf('Lead'), { lead: { mqlDateField: 'marketing_qualified__c', sqlDateField: 'Sales_Qualified_At__c' } });
    // Act
    const row = toRow({ Id: '00QKp0000000001AAA', Status: 'SQL', Marketing_Qualified__c: '2026-10-01', Sales_Qualified_At__c: '2026-10-03T23:30:00.000+0000', SystemModstamp: '2026-10-04T00:00:00.000+0000' }, leadPlan, context);
    // Assess
    expect([row.mql_date, row.sql_date, row.marketing_qualified__c, row.sales_qualified_at__c]).toEqual(['2026-10-01', '2026-10-03', '2026-10-01', '2026-10-03T23:30:00.000Z']);
  });

  it('leaves mql_date and sql_date null when the org lacks the fields', () => {
    // Prepare
    const describeResult = DescribeResult.parse({ name: 'Lead', fields: [field('Id', 'id'), field('Status', 'picklist'), field('SystemModstamp', 'datetime')] });
    const leadPlan = planObject(describeResult, tableOf('Lead'), { lead });
    // Act
    const row = toRow({ Id: '00QKp0000000001AAA', Status: 'Open', SystemModstamp: '2026-10-04T00:00:00.000+0000' }, leadPlan, context);
    // Assess
    expect(leadPlan.mqlDate).toBeUndefined();
    expect([row.mql_date, row.sql_date, row.status]).toEqual([null, null, 'Open']);
  });

  it('throws on a record without its cursor value', () => {
    // Prepare
    const record = { Id: '006Kp00000DfRceIAF', SystemModstamp: null };
    // Act
    const act = () => toRow(record, plan, context);
    // Assess
    expect(act).toThrow('Salesforce Opportunity record 006Kp00000DfRceIAF has no SystemModstamp');
  });
});

describe('toCell', () => {
  it.each([
    ['12', 'int', 'int64', 12], ['12.0', 'int', 'int64', 12], [12, 'int', 'int64', 12],
    ['1.5E7', 'currency', 'double', 15_000_000], ['TRUE', 'boolean', 'boolean', true], ['', 'string', 'string', null],
    ['2026-10-15T21:10:03Z', 'datetime', 'timestamp', '2026-10-15T21:10:03.000Z'], ['2026-10-16T06:10:03.000+09:00', 'datetime', 'timestamp', '2026-10-15T21:10:03.000Z'],
  ])('reads %j (%s) as %s', (value, salesforceType, type, expected) => {
    // Prepare: the value above
    // Act
    const cell = toCell(value, salesforceType, type as 'int64', 'Field__c');
    // Assess
    expect(cell).toEqual(expected);
  });

  it.each([
    ['1.5', 'int', 'int64'], ['yes', 'boolean', 'boolean'], ['abc', 'double', 'double'], ['2026-02-30', 'date', 'date'], ['10/15/2026', 'datetime', 'timestamp'],
  ])('throws a TypeError on %j as %s', (value, salesforceType, type) => {
    // Prepare: the value above
    // Act
    const act = () => toCell(value, salesforceType, type as 'int64', 'Field__c');
    // Assess
    expect(act).toThrow(TypeError);
    expect(act).toThrow(`Salesforce field Field__c (${salesforceType}) cannot be read as ${type}: ${JSON.stringify(value)}`);
  });

  it('normalises both Salesforce datetime spellings', () => {
    // Prepare
    const spellings = ['2026-10-15T21:10:03.000+0000', '2026-10-15T21:10:03.000Z', '2026-10-16T06:10:03+0900', 'not a time'];
    // Act
    const values = spellings.map(toTimestamp);
    // Assess
    expect(values).toEqual(['2026-10-15T21:10:03.000Z', '2026-10-15T21:10:03.000Z', '2026-10-15T21:10:03.000Z', undefined]);
  });
});

describe('Bulk CSV', () => {
  it('parses quoted values with commas, quotes, newlines and CRLF line endings', () => {
    // Prepare
    const csv = '"Id","Name","Note"\r\n"1","a, b","say ""hi""\nthere"\r\n"2","",""\r\n';
    // Act
    const records = parseCsvRecords(csv);
    // Assess
    expect(records).toEqual([{ Id: '1', Name: 'a, b', Note: 'say "hi"\nthere' }, { Id: '2', Name: '', Note: '' }]);
  });

  it('rejects a row with the wrong number of values', () => {
    // Prepare
    const csv = '"Id","Name"\n"1"\n';
    // Act
    const act = () => parseCsvRecords(csv);
    // Assess
    expect(act).toThrow('CSV row 2 has 1 values, the header has 2');
  });
});

describe('static tables', () => {
  it('declares the columns the KPI SQL relies on', () => {
    // Prepare
    const byName = new Map(salesforceTables.map((t) => [t.name, t.columns.map((c) => `${c.name}:${c.type}`)]));
    // Act
    const lead = byName.get('salesforce_lead');
    const opportunity = byName.get('salesforce_opportunity');
    // Assess
    expect([...byName.keys()]).toEqual([
      'salesforce_lead', 'salesforce_contact', 'salesforce_account', 'salesforce_opportunity', 'salesforce_opportunity_history',
      'salesforce_campaign', 'salesforce_campaign_member', 'salesforce_user',
    ]);
    expect(lead).toEqual([
      'id:string', 'is_deleted:boolean', 'system_modstamp:timestamp', 'created_date:timestamp', 'last_modified_date:timestamp',
      'status:string', 'lead_source:string', 'company:string', 'owner_id:string', 'is_converted:boolean', 'converted_date:date',
      'converted_opportunity_id:string', 'converted_account_id:string', 'mql_date:date', 'sql_date:date',
      'modstamp_date:date', 'source_id:string', 'synced_at:timestamp',
    ]);
    expect(opportunity).toContain('amount:double');
    expect(opportunity).toContain('close_date:date');
    for (const table of salesforceTables) expect(table.location).toBe(`raw/${table.name}`);
  });
});
