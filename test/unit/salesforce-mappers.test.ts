import { describe, expect, it } from 'vitest';
import { DescribeResult } from '../../connectors/salesforce/api.ts';
import { parseCsvRecords, toCsvLine } from '../../connectors/salesforce/csv.ts';
import { caseSafeId, columnTypeOf, cursorValueOf, planObject, skipReasonOf, toCell, toRow, toTimestamp, versionOf } from '../../connectors/salesforce/mappers.ts';
import { latestViewNameOf, snakeCase, tableNameOf } from '../../connectors/salesforce/names.ts';
import { mapPage, WrittenVersions } from '../../connectors/salesforce/read-object.ts';
import { salesforceTables, tableOf } from '../../connectors/salesforce/tables.ts';
import { RecordError } from '../../core/errors.ts';

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

  it('rejects a record without its cursor value, naming the field', () => {
    // Prepare
    const record = { Id: '006Kp00000DfRceIAF', SystemModstamp: null };
    // Act
    const act = () => toRow(record, plan, context);
    // Assess
    expect(act).toThrow(RecordError);
    expect(act).toThrow('Salesforce Opportunity record 006Kp00000DfRceIAF has no SystemModstamp');
    expect(rejection(act)).toMatchObject({ field: 'SystemModstamp' });
  });

  it('rejects a record without an Id, naming Id before any other bad field', () => {
    // Prepare: no Id, and text in Amount too
    const record = { Amount: 'N/A', SystemModstamp: '2026-10-15T21:10:03.000+0000' };
    // Act
    const act = () => toRow(record, plan, context);
    // Assess
    expect(act).toThrow('Salesforce Opportunity record has no Id');
    expect(rejection(act)).toMatchObject({ field: 'Id' });
  });

  it('writes a 15-character Id (and reference) in its 18-character case-safe form, the one the REST API returns', () => {
    // Prepare
    const record = { Id: '006Kp00000DfRce', AccountId: '001Kp00000DfRce', SystemModstamp: '2026-10-15T21:10:03.000+0000' };
    // Act
    const row = toRow(record, plan, context);
    const version = versionOf(record, plan);
    // Assess
    expect([row.id, row.account_id]).toEqual(['006Kp00000DfRceIAF', '001Kp00000DfRceIAF']);
    expect(version).toEqual({ id: '006Kp00000DfRceIAF', modstamp: '2026-10-15T21:10:03.000Z' });
  });
});

/** The RecordError a mapper throws, or undefined. */
function rejection(act: () => unknown): RecordError | undefined {
  try {
    act();
  } catch (error) {
    if (error instanceof RecordError) return error;
    throw error;
  }
  return undefined;
}

describe('toCell', () => {
  it.each([
    ['12', 'int', 'int64', 12], ['12.0', 'int', 'int64', 12], [12, 'int', 'int64', 12], ['-3', 'int', 'int64', -3],
    ['1.5E7', 'currency', 'double', 15_000_000], ['15000000.0', 'currency', 'double', 15_000_000], [37.5, 'double', 'double', 37.5], ['-.5', 'percent', 'double', -0.5],
    ['TRUE', 'boolean', 'boolean', true], ['false', 'boolean', 'boolean', false], [true, 'boolean', 'boolean', true],
    ['', 'string', 'string', null], [null, 'currency', 'double', null], [undefined, 'int', 'int64', null],
    [2026, 'string', 'string', '2026'], [false, 'picklist', 'string', 'false'], ['구매 완료 🎉', 'textarea', 'string', '구매 완료 🎉'],
    ['006Kp00000DfRce', 'id', 'string', '006Kp00000DfRceIAF'], ['005Kp00000000AbCDE', 'reference', 'string', '005Kp00000000AbCDE'],
    ['2026-10-16', 'date', 'date', '2026-10-16'], ['2026-10-15T23:30:00.000+0000', 'datetime', 'date', '2026-10-15'], ['2026-10-16', 'date', 'timestamp', '2026-10-16T00:00:00.000Z'],
    ['2026-10-15T21:10:03Z', 'datetime', 'timestamp', '2026-10-15T21:10:03.000Z'], ['2026-10-16T06:10:03.000+09:00', 'datetime', 'timestamp', '2026-10-15T21:10:03.000Z'],
    ['2026-10-15T21:10:03.000+0000', 'datetime', 'timestamp', '2026-10-15T21:10:03.000Z'], ['2026-10-15T16:10:03.1234-0500', 'datetime', 'timestamp', '2026-10-15T21:10:03.123Z'],
  ])('reads %j (%s) as %s', (value, salesforceType, type, expected) => {
    // Prepare: the value above
    // Act
    const cell = toCell(value, salesforceType, type as 'int64', 'Field__c');
    // Assess
    expect(cell).toEqual(expected);
  });

  it.each([
    ['1.5', 'int', 'int64'], [12.5, 'int', 'int64'], ['1,234', 'int', 'int64'], ['9007199254740993', 'long', 'int64'], [true, 'int', 'int64'],
    ['yes', 'boolean', 'boolean'], [1, 'boolean', 'boolean'],
    ['abc', 'double', 'double'], ['미정', 'currency', 'double'], ['₩15,000', 'currency', 'double'], ['0x10', 'double', 'double'], [' 12', 'percent', 'double'],
    ['Infinity', 'double', 'double'], [false, 'currency', 'double'],
    [{ city: 'Seoul' }, 'string', 'string'], [['a', 'b'], 'multipicklist', 'string'],
    ['2026-02-30', 'date', 'date'], ['16/10/2026', 'date', 'date'], ['2026-10-16T00:00:00.000Z', 'date', 'date'], [20261016, 'date', 'date'],
    ['10/15/2026', 'datetime', 'timestamp'], ['10/15/2026 9:10 PM', 'datetime', 'timestamp'], ['2026-10-15', 'datetime', 'timestamp'],
    ['2026-10-15T21:10:03', 'datetime', 'timestamp'], ['2026-10-15 21:10:03Z', 'datetime', 'timestamp'], ['2026-02-30T00:00:00Z', 'datetime', 'timestamp'],
    ['2026-10-15T24:00:00Z', 'datetime', 'timestamp'], ['2026-10-15T21:10:03+2500', 'datetime', 'timestamp'], [1_792_098_603_000, 'datetime', 'timestamp'],
  ])('throws a RecordError naming the field on %j as %s', (value, salesforceType, type) => {
    // Prepare: the value above
    // Act
    const act = () => toCell(value, salesforceType, type as 'int64', 'Field__c');
    // Assess
    expect(act).toThrow(RecordError);
    expect(act).toThrow(`Salesforce field Field__c (${salesforceType}) cannot be read as ${type}: ${JSON.stringify(value)}`);
    expect(rejection(act)?.field).toBe('Field__c');
  });

  it.each([
    ['006Kp00000DfR', 'id'], ['006Kp00000DfRceIA', 'id'], ['006Kp00000-DfRce', 'reference'], ['integration-user', 'reference'], [6, 'reference'],
  ])('throws a RecordError on %j as an Id (%s): not 15 or 18 letters and digits', (value, salesforceType) => {
    // Prepare: the value above
    // Act
    const act = () => toCell(value, salesforceType, 'string', 'OwnerId');
    // Assess
    expect(act).toThrow(`Salesforce field OwnerId (${salesforceType}) is not a 15- or 18-character record Id: ${JSON.stringify(value)}`);
    expect(rejection(act)?.field).toBe('OwnerId');
  });

  it('cuts a long odd value short in the reason (the raw record keeps it whole), never inside an emoji', () => {
    // Prepare
    const value = `a${'🎉'.repeat(100)}`;
    // Act
    const reason = rejection(() => toCell(value, 'currency', 'double', 'Amount'))?.message;
    // Assess
    expect(reason).toBe(`Salesforce field Amount (currency) cannot be read as double: "a${'🎉'.repeat(39)}…`);
  });

  it('keeps text of any length, Korean and emoji included', () => {
    // Prepare
    const long = '가나다🎉'.repeat(40_000);
    // Act
    const cell = toCell(long, 'textarea', 'string', 'Description');
    // Assess
    expect(cell).toBe(long);
  });

  it('normalises both Salesforce datetime spellings', () => {
    // Prepare
    const spellings = ['2026-10-15T21:10:03.000+0000', '2026-10-15T21:10:03.000Z', '2026-10-16T06:10:03+0900', 'not a time'];
    // Act
    const values = spellings.map(toTimestamp);
    // Assess
    expect(values).toEqual(['2026-10-15T21:10:03.000Z', '2026-10-15T21:10:03.000Z', '2026-10-15T21:10:03.000Z', undefined]);
  });

  it('reads early years as they are, not as 19xx', () => {
    // Prepare
    const text = '0099-01-01T00:00:00.000+0000';
    // Act
    const value = toTimestamp(text);
    // Assess
    expect(value).toBe('0099-01-01T00:00:00.000Z');
  });

  it('computes the case-safe suffix of a 15-character Id', () => {
    // Prepare
    const ids = ['006Kp00000DfRce', '001000000000000', 'ABCDEABCDEABCDE'];
    // Act
    const full = ids.map(caseSafeId);
    // Assess
    expect(full).toEqual(['006Kp00000DfRceIAF', '001000000000000AAA', 'ABCDEABCDEABCDE555']);
  });
});

describe('odd values in a page of records (mapPage)', () => {
  const plan = planObject(opportunityDescribe, tableOf('Opportunity'));
  const attributes = (id: string) => ({ type: 'Opportunity', url: `/services/data/v62.0/sobjects/Opportunity/${id}` });
  const at = (minute: number) => `2026-10-15T21:${String(minute).padStart(2, '0')}:00.000+0000`;
  const record = (id: string, minute: number, extra: Record<string, unknown> = {}) => ({
    attributes: attributes(id), Id: id, IsDeleted: false, Name: `Deal ${id.slice(-3)}`, Amount: 1000, CloseDate: '2026-10-16',
    CreatedDate: at(0), CreatedById: '005Kp00000000AbCDE', SystemModstamp: at(minute), ...extra,
  });

  it('coerces what the contract allows and sets aside, with the reason, the field and the raw record, what it does not', () => {
    // Prepare: REST records in SystemModstamp order, with the oddities APIs send
    const records = [
      record('006Kp0000000001AAA', 1),
      record('006Kp0000000002AAA', 2, { Name: '한빛테크 🎉 선물 세트', Amount: '15000000.0', IsDeleted: 'true', Shoe_Size__c: 42, Owner: { Name: '김민준' } }),
      record('006Kp0000000003AAA', 3, { ShipStreet__c: '가'.repeat(100_000), CreatedById: null, CreatedDate: undefined }),
      record('006Kp0000000004AAA', 4, { SystemModstamp: '2026-10-16T06:04:00.000+09:00' }),
      record('006Kp0000000005AAA', 5, { Amount: '미정' }),
      record('006Kp0000000006AAA', 6, { CloseDate: '16/10/2026' }),
      record('006Kp00000007', 7),
      record('006Kp0000000008AAA', 8, { SystemModstamp: null }),
      record('006Kp0000000009AAA', 9, { CreatedDate: '2026-10-15' }),
      record('006Kp0000000010AAA', 10, { IsWon: 'yes' }),
    ];
    // Act
    const { rows, rejected, newest } = mapPage(records, plan, context, new WrittenVersions([]));
    // Assess
    expect(rows.map((r) => [r.id, r.name, r.amount, r.is_deleted, r.system_modstamp])).toEqual([
      ['006Kp0000000001AAA', 'Deal AAA', 1000, false, '2026-10-15T21:01:00.000Z'],
      ['006Kp0000000002AAA', '한빛테크 🎉 선물 세트', 15_000_000, true, '2026-10-15T21:02:00.000Z'],
      ['006Kp0000000003AAA', 'Deal AAA', 1000, false, '2026-10-15T21:03:00.000Z'],
      ['006Kp0000000004AAA', 'Deal AAA', 1000, false, '2026-10-15T21:04:00.000Z'],
    ]);
    expect(rows[2]).toMatchObject({ created_date: null });
    expect(rows[2]!.ship_street__c).toBe('가'.repeat(100_000));
    expect(rows[1]).not.toHaveProperty('shoe_size__c');
    expect(rejected.map((r) => [r.field, r.reason])).toEqual([
      ['Amount', 'Salesforce field Amount (currency) cannot be read as double: "미정"'],
      ['CloseDate', 'Salesforce field CloseDate (date) cannot be read as date: "16/10/2026"'],
      ['Id', 'Salesforce field Id (id) is not a 15- or 18-character record Id: "006Kp00000007"'],
      ['SystemModstamp', 'Salesforce Opportunity record 006Kp0000000008AAA has no SystemModstamp'],
      ['CreatedDate', 'Salesforce field CreatedDate (datetime) cannot be read as timestamp: "2026-10-15"'],
      ['IsWon', 'Salesforce field IsWon (boolean) cannot be read as boolean: "yes"'],
    ]);
    expect(rejected[0]!.raw).toBe(records[4]);
    // The newest readable SystemModstamp, a rejected record's included: it is in _rejects before the cursor moves.
    expect(newest).toBe('2026-10-15T21:10:00.000Z');
  });

  it('never moves the cursor on a SystemModstamp it cannot read, however late it would read leniently', () => {
    // Prepare: the last record's SystemModstamp in a format Date.parse would read (in the machine's
    // time zone, hours after the true value), then one with none at all
    const records = [
      record('006Kp0000000001AAA', 1),
      record('006Kp0000000002AAA', 2),
      record('006Kp0000000003AAA', 3, { SystemModstamp: '10/15/2026 11:59 PM' }),
      record('006Kp0000000004AAA', 4, { SystemModstamp: '' }),
    ];
    // Act
    const { rows, rejected, newest } = mapPage(records, plan, context, new WrittenVersions([]));
    // Assess
    expect(Number.isNaN(Date.parse('10/15/2026 11:59 PM'))).toBe(false);
    expect(cursorValueOf(records[2]!, plan)).toBeUndefined();
    expect(rows).toHaveLength(2);
    expect(rejected.map((r) => r.field)).toEqual(['SystemModstamp', 'SystemModstamp']);
    expect(newest).toBe('2026-10-15T21:02:00.000Z');
  });

  it('skips versions handled before (written or quarantined) on a re-read, except records of no readable version', () => {
    // Prepare: a first read of the page, then the same page again (the overlap before the cursor)
    const records = [
      record('006Kp0000000001AAA', 1),
      record('006Kp0000000002AAA', 2, { Amount: 'N/A' }),
      record('006Kp00000003', 3),
      record('006Kp0000000004AAA', 4, { SystemModstamp: 'yesterday' }),
    ];
    const handled = new WrittenVersions([]);
    const first = mapPage(records, plan, context, handled);
    // Act
    const again = mapPage(records, plan, context, new WrittenVersions(handled.toJSON()));
    // Assess
    expect([first.rows.length, first.rejected.length]).toEqual([1, 3]);
    expect(handled.toJSON()).toEqual(['006Kp0000000001AAA|2026-10-15T21:01:00.000Z', '006Kp0000000002AAA|2026-10-15T21:02:00.000Z']);
    expect(again.rows).toEqual([]);
    expect(again.rejected.map((r) => r.field)).toEqual(['Id', 'SystemModstamp']);
    expect(again.newest).toBe('2026-10-15T21:03:00.000Z');
  });

  it('maps Bulk CSV records with the same outcome', () => {
    // Prepare: text for every value, empty for null
    const header = ['Id', 'IsDeleted', 'Name', 'Amount', 'CloseDate', 'CreatedDate', 'CreatedById', 'SystemModstamp'];
    const csv = [
      toCsvLine(header),
      toCsvLine(['006Kp0000000001AAA', 'false', '한글 "따옴표", 쉼표 🎉', '1.5E7', '2026-10-16', '2026-10-15T21:00:00.000Z', '', '2026-10-15T21:01:00.000Z']),
      toCsvLine(['006Kp0000000002', 'true', '', '', '', '', '005Kp00000000AbCDE', '2026-10-16T06:02:00.000+09:00']),
      toCsvLine(['006Kp0000000003AAA', 'false', 'x', 'N/A', '', '', '', '2026-10-15T21:03:00.000Z']),
      toCsvLine(['', 'false', 'x', '1', '', '', '', '2026-10-15T21:04:00.000Z']),
    ].join('\n');
    // Act
    const { rows, rejected, newest } = mapPage(parseCsvRecords(csv), plan, context, new WrittenVersions([]));
    // Assess
    expect(rows.map((r) => [r.id, r.is_deleted, r.name, r.amount, r.close_date, r.created_date, r.system_modstamp])).toEqual([
      ['006Kp0000000001AAA', false, '한글 "따옴표", 쉼표 🎉', 15_000_000, '2026-10-16', '2026-10-15T21:00:00.000Z', '2026-10-15T21:01:00.000Z'],
      ['006Kp0000000002IAA', true, null, null, null, null, '2026-10-15T21:02:00.000Z'],
    ]);
    expect(rejected.map((r) => [r.field, r.reason])).toEqual([
      ['Amount', 'Salesforce field Amount (currency) cannot be read as double: "N/A"'],
      ['Id', 'Salesforce Opportunity record has no Id'],
    ]);
    expect(newest).toBe('2026-10-15T21:04:00.000Z');
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
