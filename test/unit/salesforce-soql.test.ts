import { generateKeyPairSync, verify } from 'node:crypto';
import { Parser } from 'node-sql-parser';
import { describe, expect, it } from 'vitest';
import { SalesforceSourceConfig } from '../../connectors/salesforce/config.ts';
import { buildJwtAssertion } from '../../connectors/salesforce/jwt.ts';
import { usageOverShare } from '../../connectors/salesforce/read-object.ts';
import { changedSinceWhere, countSoql, readFrom, selectSoql, soqlDateTime } from '../../connectors/salesforce/soql.ts';
import { salesforceViews } from '../../connectors/salesforce/views.ts';

describe('SOQL building', () => {
  it('writes datetime literals unquoted, in UTC, floored to the second', () => {
    // Prepare
    const cursor = '2026-10-15T21:10:03.999Z';
    // Act
    const literal = soqlDateTime(cursor);
    // Assess
    expect(literal).toBe('2026-10-15T21:10:03Z');
  });

  it('reads from the cursor minus the overlap, and everything on a first run', () => {
    // Prepare
    const cursor = '2026-10-15T21:10:03.000Z';
    // Act
    const since = readFrom(cursor, 300);
    const first = readFrom(undefined, 300);
    // Assess
    expect(since).toBe('2026-10-15T21:05:03.000Z');
    expect(first).toBeUndefined();
    expect(changedSinceWhere('SystemModstamp', since)).toBe('SystemModstamp > 2026-10-15T21:05:03Z');
    expect(changedSinceWhere('SystemModstamp', first)).toBeUndefined();
  });

  it('builds the incremental REST query, the Bulk query and the count with the same WHERE', () => {
    // Prepare
    const where = changedSinceWhere('SystemModstamp', readFrom('2026-10-15T21:10:03.500Z', 300));
    const fields = ['Id', 'IsDeleted', 'StageName', 'SystemModstamp'];
    // Act
    const rest = selectSoql({ object: 'Opportunity', fields, where, orderBy: 'SystemModstamp' });
    const bulk = selectSoql({ object: 'Opportunity', fields, where });
    const count = countSoql('Opportunity', where);
    const firstRun = selectSoql({ object: 'Opportunity', fields, orderBy: 'SystemModstamp' });
    // Assess
    expect(rest).toBe('SELECT Id, IsDeleted, StageName, SystemModstamp FROM Opportunity WHERE SystemModstamp > 2026-10-15T21:05:03Z ORDER BY SystemModstamp');
    expect(bulk).toBe('SELECT Id, IsDeleted, StageName, SystemModstamp FROM Opportunity WHERE SystemModstamp > 2026-10-15T21:05:03Z');
    expect(count).toBe('SELECT COUNT() FROM Opportunity WHERE SystemModstamp > 2026-10-15T21:05:03Z');
    expect(firstRun).toBe('SELECT Id, IsDeleted, StageName, SystemModstamp FROM Opportunity ORDER BY SystemModstamp');
  });

  it('refuses an empty field list and a cursor that is no timestamp', () => {
    // Prepare
    const empty = () => selectSoql({ object: 'Lead', fields: [] });
    const bad = () => readFrom('yesterday', 300);
    // Act + Assess
    expect(empty).toThrow('no fields to select from Lead');
    expect(bad).toThrow('not an ISO timestamp cursor: "yesterday"');
  });
});

describe('API usage share', () => {
  it.each([
    [{ used: 79, limit: 100 }, 0.8, undefined],
    [{ used: 80, limit: 100 }, 0.8, 'Salesforce daily API usage is 80 of 100 requests, past the 80% share this pipeline may use (apiUsageLimitShare)'],
    [undefined, 0.8, undefined],
  ])('usage %j with share %s → %s', (usage, share, expected) => {
    // Prepare: the values above
    // Act
    const reason = usageOverShare(usage, share);
    // Assess
    expect(reason).toBe(expected);
  });
});

describe('JWT bearer assertion', () => {
  it('is RS256-signed with iss, sub, aud = login URL and a short exp', () => {
    // Prepare
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = new Date('2026-10-16T00:00:00.000Z');
    // Act
    const jwt = buildJwtAssertion({
      clientId: '3MVGclient', username: 'integration@example.com', audience: 'https://login.salesforce.com',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), now,
    });
    // Assess
    const [header, claims, signature] = jwt.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'RS256' });
    expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toEqual({
      iss: '3MVGclient', sub: 'integration@example.com', aud: 'https://login.salesforce.com', exp: now.getTime() / 1000 + 180,
    });
    expect(verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature!, 'base64url'))).toBe(true);
  });
});

describe('Salesforce source config', () => {
  it('fills the defaults', () => {
    // Prepare
    const input = { id: 'crm', type: 'salesforce', instanceUrl: 'https://acme.my.salesforce.com/', auth: { type: 'jwt_bearer', secret: 'kpi/salesforce' } };
    // Act
    const config = SalesforceSourceConfig.parse(input);
    // Assess
    expect(config).toMatchObject({
      instanceUrl: 'https://acme.my.salesforce.com', loginUrl: 'https://login.salesforce.com', apiVersion: '62.0',
      objects: ['Lead', 'Contact', 'Account', 'Opportunity', 'OpportunityHistory', 'Campaign', 'CampaignMember', 'User'],
      lead: { mqlDateField: 'MQL_Date__c', sqlDateField: 'SQL_Date__c' }, overlapSeconds: 300, bulkThreshold: 50_000,
      apiUsageLimitShare: 0.8, pageSize: 2_000,
    });
  });

  it('asks for auth and instanceUrl outside sandbox mode, and for 200–2,000 rows per page', () => {
    // Prepare
    const input = { id: 'crm', type: 'salesforce', sandbox: {}, pageSize: 100, objects: ['Lead', 'Lead'] };
    // Act
    const result = SalesforceSourceConfig.safeParse(input);
    // Assess
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'objects: list each object once',
      'pageSize: Too small: expected number to be >=200',
    ]);
    expect(SalesforceSourceConfig.safeParse({ id: 'crm', type: 'salesforce' }).error!.issues.map((i) => i.path.join('.'))).toEqual(['auth', 'instanceUrl']);
    expect(SalesforceSourceConfig.safeParse({ id: 'crm', type: 'salesforce', sandbox: {} }).success).toBe(true);
  });
});

describe('salesforce_<object>_latest views', () => {
  it('keep the newest version per id and drop deleted ones, in SQL Trino parses', () => {
    // Prepare
    const parser = new Parser();
    // Act
    const lead = salesforceViews.find((v) => v.name === 'salesforce_lead_latest')!;
    // Assess
    expect(salesforceViews.map((v) => v.name)).toEqual([
      'salesforce_lead_latest', 'salesforce_contact_latest', 'salesforce_account_latest', 'salesforce_opportunity_latest',
      'salesforce_opportunity_history_latest', 'salesforce_campaign_latest', 'salesforce_campaign_member_latest', 'salesforce_user_latest',
    ]);
    expect(lead.sql).toBe('SELECT * FROM (SELECT t.*, row_number() OVER (PARTITION BY t.id ORDER BY t.system_modstamp DESC, t.synced_at DESC) AS version_rank ' +
      'FROM salesforce_lead AS t) AS v WHERE v.version_rank = 1 AND NOT coalesce(v.is_deleted, false)');
    expect(lead.dependsOn).toEqual(['salesforce_lead']);
    expect(lead.columns.at(-1)).toMatchObject({ name: 'version_rank', type: 'int64' });
    for (const view of salesforceViews) expect(() => parser.astify(view.sql, { database: 'trino' })).not.toThrow();
  });
});
