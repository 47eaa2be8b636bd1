import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsvRecords } from '../../connectors/salesforce/csv.ts';
import { startSalesforceSandbox, type RunningSalesforceSandbox } from '../../connectors/salesforce/sandbox/server.ts';

// The wire format the sandbox speaks, checked with plain fetch (the connector tests use jsforce).
let sf: RunningSalesforceSandbox;

beforeAll(async () => {
  sf = await startSalesforceSandbox({ seed: 42, anchorDate: '2026-10-16', historyDays: 30, dailyApiLimit: 1_000 });
});

afterAll(async () => {
  await sf.stop();
});

async function call(path: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const response = await fetch(`${sf.instanceUrl}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${init.token ?? sf.accessToken}`, ...(init.headers as Record<string, string> | undefined) },
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV or XML
  }
  return { status: response.status, headers: response.headers, body, text };
}

const query = (soql: string, resource = 'query') => `/services/data/v62.0/${resource}?q=${encodeURIComponent(soql)}`;

describe('Salesforce sandbox wire format', () => {
  it('answers queryAll in batches with nextRecordsUrl under /query/, also readable under /queryAll/, with Sforce-Limit-Info', async () => {
    // Prepare
    const soql = 'SELECT Id, IsDeleted, SystemModstamp, Address FROM Lead ORDER BY SystemModstamp';
    const leads = sf.records('Lead');

    // Act
    const first = await call(query(soql, 'queryAll'), { headers: { 'Sforce-Query-Options': 'batchSize=50' } });
    const page = first.body as { totalSize: number; done: boolean; nextRecordsUrl: string; records: Array<Record<string, unknown>> };
    const viaQuery = await call(page.nextRecordsUrl);
    const viaQueryAll = await call(page.nextRecordsUrl.replace('/query/', '/queryAll/'));

    // Assess: 50 is under Salesforce's minimum batch size of 200.
    expect(first.status).toBe(200);
    expect(first.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/1000$/);
    expect(page).toMatchObject({ totalSize: leads.length, done: false });
    expect(page.records).toHaveLength(200);
    expect(page.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g[0-9A-Za-z]+-200$/);
    expect(page.records[0]).toEqual({
      attributes: { type: 'Lead', url: `/services/data/v62.0/sobjects/Lead/${String(page.records[0]!.Id)}` },
      Id: page.records[0]!.Id, IsDeleted: false, SystemModstamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/),
      Address: expect.objectContaining({ city: expect.any(String), country: 'South Korea', postalCode: expect.any(String) }),
    });
    expect(viaQueryAll.body).toEqual(viaQuery.body);
    expect((viaQuery.body as { records: unknown[] }).records).toHaveLength(leads.length - 200);
  });

  it('filters on unquoted datetime literals, counts with COUNT(), and keeps deleted records out of /query', async () => {
    // Prepare
    const leads = sf.records('Lead');
    const since = '2026-10-10T00:00:00Z';

    // Act
    const counted = await call(query(`SELECT COUNT() FROM Lead WHERE SystemModstamp > ${since}`, 'queryAll'));
    const all = await call(query('SELECT COUNT() FROM Lead', 'queryAll'));
    const live = await call(query('SELECT COUNT() FROM Lead', 'query'));
    const limited = await call(query('SELECT Id FROM Lead ORDER BY SystemModstamp DESC LIMIT 3'));

    // Assess
    expect(counted.body).toEqual({ totalSize: leads.filter((l) => String(l.SystemModstamp) > '2026-10-10T00:00:00.000Z').length, done: true, records: [] });
    expect((all.body as { totalSize: number }).totalSize).toBe(leads.length);
    expect((live.body as { totalSize: number }).totalSize).toBe(leads.filter((l) => l.IsDeleted !== true).length);
    expect((limited.body as { records: unknown[] }).records).toHaveLength(3);
  });

  it.each([
    ['SELECT Id FROM Lead WHERE SystemModstamp > \'2026-10-10T00:00:00Z\'', 400, 'INVALID_FIELD', "value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed in quotes"],
    ['SELECT Id, Nope__c FROM Lead', 400, 'INVALID_FIELD', "No such column 'Nope__c' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."],
    ['SELECT Id FROM Lead WHERE', 400, 'MALFORMED_QUERY', 'unexpected end of query'],
    ['SELECT Id FROM Lead GROUP BY Id', 400, 'MALFORMED_QUERY', "unexpected token: 'GROUP'"],
  ])('refuses %s with Salesforce error bodies', async (soql, status, errorCode, message) => {
    // Prepare: the SOQL above
    // Act
    const response = await call(query(soql));
    // Assess
    expect(response.status).toBe(status);
    expect(response.body).toEqual([{ message, errorCode }]);
  });

  it('rejects a bad bearer token with 401 INVALID_SESSION_ID', async () => {
    // Prepare
    const token = 'bogus';
    // Act
    const response = await call(query('SELECT Id FROM User'), { token });
    // Assess
    expect(response.status).toBe(401);
    expect(response.body).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });

  it('describes objects with compound fields and their components', async () => {
    // Prepare
    const path = '/services/data/v62.0/sobjects/Account/describe';
    // Act
    const response = await call(path);
    const fields = (response.body as { fields: Array<Record<string, unknown>> }).fields;
    // Assess
    expect(fields.find((f) => f.name === 'BillingAddress')).toMatchObject({ type: 'address', compoundFieldName: null, nillable: true, custom: false });
    expect(fields.find((f) => f.name === 'BillingCity')).toMatchObject({ type: 'string', compoundFieldName: 'BillingAddress' });
    expect(fields.find((f) => f.name === 'SystemModstamp')).toMatchObject({ type: 'datetime', nillable: false });
    expect((await call('/services/data/v62.0/sobjects/Nope__c/describe')).status).toBe(404);
  });

  it('runs Bulk API 2.0 query jobs: UploadComplete → InProgress → JobComplete, quoted CSV pages with Sforce-Locator', async () => {
    // Prepare
    const body = JSON.stringify({ operation: 'queryAll', query: 'SELECT Id, Name, NumberOfEmployees, AnnualRevenue, IsDeleted, LastActivityDate FROM Lead', contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' });
    const leads = sf.records('Lead');

    // Act
    const created = await call('/services/data/v62.0/jobs/query', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    const id = (created.body as { id: string }).id;
    const states = [];
    for (let i = 0; i < 2; i++) states.push(((await call(`/services/data/v62.0/jobs/query/${id}`)).body as { state: string }).state);
    const pages = [];
    for (let locator: string | null = null; ;) {
      const page = await call(`/services/data/v62.0/jobs/query/${id}/results?maxRecords=150${locator ? `&locator=${locator}` : ''}`);
      pages.push(page);
      locator = page.headers.get('sforce-locator');
      if (locator === 'null') break;
    }

    // Assess
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^750/), operation: 'queryAll', object: 'Lead', state: 'UploadComplete', contentType: 'CSV' });
    expect(states).toEqual(['InProgress', 'JobComplete']);
    expect(leads.length).toBeGreaterThan(150);
    expect(pages.map((p) => p.headers.get('sforce-numberofrecords'))).toEqual(['150', String(leads.length - 150)]);
    expect(pages[0]!.headers.get('content-type')).toBe('text/csv');
    expect(pages[0]!.text.split('\n')[0]).toBe('"Id","Name","NumberOfEmployees","AnnualRevenue","IsDeleted","LastActivityDate"');
    const records = pages.flatMap((p) => parseCsvRecords(p.text));
    expect(records.map((r) => r.Id)).toEqual(leads.map((l) => l.Id));
    const sample = leads.find((l) => l.LastActivityDate === null)!;
    expect(records.find((r) => r.Id === sample.Id)).toEqual({
      Id: sample.Id, Name: sample.Name, NumberOfEmployees: String(sample.NumberOfEmployees), AnnualRevenue: `${String(sample.AnnualRevenue)}.0`,
      IsDeleted: 'false', LastActivityDate: '',
    });
  });

  it('refuses compound fields and COUNT() in Bulk jobs', async () => {
    // Prepare
    const job = (soql: string) => call('/services/data/v62.0/jobs/query', { method: 'POST', body: JSON.stringify({ operation: 'query', query: soql }), headers: { 'Content-Type': 'application/json' } });
    // Act
    const compound = await job('SELECT Id, BillingAddress FROM Account');
    const counted = await job('SELECT COUNT() FROM Account');
    // Assess
    expect(compound.status).toBe(400);
    expect(compound.body).toEqual([{ errorCode: 'INVALIDJOB', message: 'InvalidJob : Selecting compound data not supported in Bulk Query (BillingAddress)' }]);
    expect((counted.body as Array<{ errorCode: string }>)[0]!.errorCode).toBe('INVALIDJOB');
  });

  it('answers REQUEST_LIMIT_EXCEEDED past the daily limit and reports usage in /limits', async () => {
    // Prepare
    sf.setDailyApiLimit(sf.apiUsage().used + 1);
    // Act
    const limits = await call('/services/data/v62.0/limits');
    const refused = await call(query('SELECT Id FROM User'));
    sf.setDailyApiLimit(1_000);
    // Assess
    expect(limits.body).toMatchObject({ DailyApiRequests: { Max: sf.apiUsage().used, Remaining: 0 } });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
  });

  it('hands out tokens at /services/oauth2/token and refuses a wrong refresh token the OAuth way', async () => {
    // Prepare
    const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    // Act
    const granted = await call('/services/oauth2/token', form({ grant_type: 'refresh_token', client_id: sf.oauth.clientId, client_secret: sf.oauth.clientSecret, refresh_token: sf.oauth.refreshToken }));
    const refused = await call('/services/oauth2/token', form({ grant_type: 'refresh_token', client_id: sf.oauth.clientId, refresh_token: 'nope' }));
    const token = (granted.body as { access_token: string }).access_token;
    const withNewToken = await call(query('SELECT Id FROM User'), { token });
    // Assess
    expect(granted.body).toMatchObject({ instance_url: sf.instanceUrl, token_type: 'Bearer', access_token: expect.any(String) });
    expect((granted.body as { id: string }).id.startsWith(`${sf.url}id/${sf.orgId}/005`)).toBe(true);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_grant', error_description: 'expired access/refresh token' });
    expect(withNewToken.status).toBe(200);
  });
});
