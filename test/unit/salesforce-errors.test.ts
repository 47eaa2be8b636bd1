import { describe, expect, it } from 'vitest';
import { loginError, vendorError, type LoginInfo } from '../../connectors/salesforce/errors.ts';
import { TransportError } from '../../connectors/salesforce/fetch-transport.ts';

const info: LoginInfo = { sourceId: 'crm', authType: 'jwt_bearer', loginUrl: 'https://login.salesforce.com', secretName: 'sf/crm' };
const token = { url: 'https://login.salesforce.com/services/oauth2/token', method: 'POST' };
const soap = { url: 'https://login.salesforce.com/services/Soap/u/62.0', method: 'POST' };
const answer = (statusCode: number, body: string, headers: Record<string, string> = {}, request = token) => ({ response: { statusCode, headers, body }, request });
/** What jsforce's OAuth2 throws for an error body: named after `error`, whatever its type. */
const jsforceError = (name: string, message = '') => Object.assign(new Error(message), { name });

describe('vendorError: the vendor\'s words in an error body', () => {
  it('reads OAuth, REST, gateway and SOAP error bodies, and the text of an HTML page', () => {
    // Act
    const read = [
      '{"error":"invalid_grant","error_description":"user hasn\'t approved this consumer"}',
      '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]',
      '{"error":{"code":429,"message":"Too many requests.","status":"RESOURCE_EXHAUSTED"}}',
      '<soapenv:Fault><faultcode>sf:SERVER_UNAVAILABLE</faultcode><faultstring>SERVER_UNAVAILABLE: try later</faultstring></soapenv:Fault>',
      '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
    ].map(vendorError);

    // Assess
    expect(read).toEqual([
      { code: 'invalid_grant', description: 'user hasn\'t approved this consumer', json: true },
      { code: 'INVALID_SESSION_ID', description: 'Session expired or invalid', json: false },
      { code: 'RESOURCE_EXHAUSTED', description: 'Too many requests.', json: true },
      { code: 'SERVER_UNAVAILABLE', description: 'SERVER_UNAVAILABLE: try later', json: false },
      { description: '502 Bad Gateway 502 Bad Gateway', json: false },
    ]);
  });
});

describe('loginError: which sign-in failures are asked again', () => {
  it('retries throttling, server errors, dropped and cut answers; not refusals or a whole answer of the wrong shape', () => {
    // Prepare
    const cases = [
      loginError(jsforceError('[object Object]'), answer(429, '{"error":{"status":"RESOURCE_EXHAUSTED","message":"slow down"}}', { 'retry-after': '3' }), info),
      loginError(jsforceError('ERROR_HTTP_503', '<html>down</html>'), answer(503, '<html>down</html>'), info),
      loginError(new Error('SERVER_UNAVAILABLE: try later'), answer(500, '<faultcode>sf:SERVER_UNAVAILABLE</faultcode><faultstring>SERVER_UNAVAILABLE: try later</faultstring>', {}, soap), info),
      loginError(new TransportError('POST https://login.salesforce.com/services/oauth2/token: no answer (connect ECONNREFUSED)', { code: 'ECONNREFUSED' }), undefined, info),
      loginError(new Error('the token endpoint answered without access_token and instance_url'), answer(200, '{"access_token":"00D!x","instance'), info),
      loginError(jsforceError('invalid_grant', 'user hasn\'t approved this consumer'), answer(400, '{"error":"invalid_grant","error_description":"user hasn\'t approved this consumer"}'), info),
      loginError(jsforceError('ERROR_HTTP_403', '<html>Forbidden</html>'), answer(403, '<html>Forbidden</html>'), info),
      loginError(new Error('the token endpoint answered without access_token and instance_url'), answer(200, '{"token_type":"Bearer"}'), info),
    ];

    // Act
    const outcomes = cases.map((e) => [e.message, e.retryable, e.retryAfterMs, e.context.status]);

    // Assess
    const at = 'Salesforce login (jwt_bearer) at https://login.salesforce.com failed: ';
    expect(outcomes).toEqual([
      [`${at}the OAuth token endpoint https://login.salesforce.com/services/oauth2/token answered HTTP 429 (RESOURCE_EXHAUSTED: slow down)`, true, 3000, 429],
      [`${at}the OAuth token endpoint https://login.salesforce.com/services/oauth2/token answered HTTP 503 (down)`, true, undefined, 503],
      [`${at}the SOAP login endpoint https://login.salesforce.com/services/Soap/u/62.0 answered HTTP 500 (SERVER_UNAVAILABLE: SERVER_UNAVAILABLE: try later)`, true, undefined, 500],
      [`${at}POST https://login.salesforce.com/services/oauth2/token: no answer (connect ECONNREFUSED)`, true, undefined, undefined],
      [`${at}the OAuth token endpoint https://login.salesforce.com/services/oauth2/token returned a body that is not JSON (HTTP 200; cut short?)`, true, undefined, 200],
      [`${at}invalid_grant: user hasn't approved this consumer. Check client_id, username and private_key in secret "sf/crm": ` +
        'the connected app must hold the matching certificate and the user must be pre-authorised for it.', false, undefined, 400],
      [`${at}the OAuth token endpoint https://login.salesforce.com/services/oauth2/token answered HTTP 403 (Forbidden)`, false, undefined, 403],
      [`${at}the token endpoint answered without access_token and instance_url`, false, undefined, 200],
    ]);
  });
});
