import { createPrivateKey, sign } from 'node:crypto';

/**
 * The OAuth 2.0 JWT bearer flow's assertion (RFC 7523), signed RS256 with the connected app's
 * certificate key: `iss` = consumer key (client_id), `sub` = the Salesforce username, `aud` = the
 * login URL (https://login.salesforce.com, https://test.salesforce.com or the My Domain), `exp`
 * within 3 minutes. Exchanged at `${loginUrl}/services/oauth2/token` with
 * grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer.
 */
export const jwtBearerGrantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export function buildJwtAssertion(options: {
  clientId: string;
  username: string;
  audience: string;
  privateKey: string;
  now?: Date;
  lifetimeSeconds?: number;
}): string {
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const header = base64Url(JSON.stringify({ alg: 'RS256' }));
  const claims = base64Url(JSON.stringify({
    iss: options.clientId, sub: options.username, aud: options.audience, exp: issuedAt + (options.lifetimeSeconds ?? 180),
  }));
  const key = createPrivateKey(options.privateKey);
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), key);
  return `${header}.${claims}.${signature.toString('base64url')}`;
}

function base64Url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
