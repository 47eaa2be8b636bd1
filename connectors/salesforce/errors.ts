import { SourceError, type ErrorContext } from '../../core/errors.ts';
import { parseRetryAfter, type RetryDecision } from '../../core/retry.ts';
import { TransportError, withoutQuery, type TransportRequest, type TransportResponse } from './fetch-transport.ts';

/**
 * How the Salesforce client turns failures into SourceErrors, and which ones its retry loop asks
 * again: 429, 5xx, no answer, a dropped connection, silence past the idle limit and a body cut
 * short or replaced (a proxy's HTML page) are retried; a refusal (400, 401, 403) or a whole body
 * of the wrong shape is not. Messages carry the vendor's words and never a credential: request
 * bodies (where the secrets travel) are never quoted, URLs lose their query.
 */

/** The org's daily API allowance is used up (HTTP 403 REQUEST_LIMIT_EXCEEDED): stop and resume next run. */
export class SalesforceApiLimitError extends SourceError {}

export function decisionOf(error: unknown): RetryDecision {
  if (!(error instanceof SourceError)) return { retryable: false };
  return { retryable: error.retryable, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
}

/** A 2xx answer whose body did not parse as the JSON asked for: cut short, or a proxy's page. Worth another try. */
export function notJsonError(what: string, status: number, context: ErrorContext): SourceError {
  return new SourceError(`Salesforce ${what} returned a body that is not JSON (HTTP ${status}; cut short?)`, {
    context: { ...context, status }, retryable: true,
  });
}

/** A REST / Bulk call's failure (jsforce's HttpApiError for a status ≥ 400, or the transport's). */
export function apiCallError(error: unknown, info: {
  status: number | undefined;
  headers: Readonly<Record<string, string>> | undefined;
  what: string;
  context: ErrorContext;
  refreshable: boolean;
  refreshed: boolean;
}): SourceError {
  const { what } = info;
  const e = (error ?? {}) as { errorCode?: string; message?: string; code?: string };
  const status = info.status ?? (error instanceof TransportError ? error.status : undefined);
  const code = e.errorCode ?? (info.status === undefined ? e.code : undefined);
  const detail = truncate(e.message ?? 'request failed');
  const context = { ...info.context, ...(status === undefined ? {} : { status }), ...(code ? { errorCode: code } : {}) };
  if (error instanceof TransportError) {
    // No whole answer (refused, dropped mid-body, silent): the call is asked again.
    return new SourceError(`Salesforce ${what} failed: ${detail}`, { cause: error, context, retryable: true });
  }
  const label = `HTTP ${status}${code ? ` ${code}` : ''}`;
  if (status === 401) {
    const hint = !info.refreshable
      ? ' Check the source\'s access token secret; access tokens expire, so unattended runs need jwt_bearer or refresh_token auth.'
      : info.refreshed ? ' A freshly issued session was refused too: check the connected app, the user and its API permission.' : '';
    return new SourceError(`Salesforce rejected the session (${label}): ${detail}.${hint}`, { cause: error, context, retryable: false });
  }
  if (status === 403 && code === 'REQUEST_LIMIT_EXCEEDED') {
    return new SalesforceApiLimitError(`Salesforce daily API request limit reached (${label}): ${detail}`, { cause: error, context, retryable: false });
  }
  if (status === undefined) {
    return new SourceError(`Salesforce ${what} failed: ${detail}`, { cause: error, context, retryable: false });
  }
  const retryable = status === 429 || status >= 500;
  const retryAfterMs = parseRetryAfter(info.headers?.['retry-after']);
  return new SourceError(`Salesforce ${what} failed (${label}): ${detail}`, {
    cause: error, context, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

export interface LoginInfo {
  readonly sourceId: string;
  readonly authType: string;
  readonly loginUrl: string;
  /** The secret's name (never its value), for the hint on a refused grant. */
  readonly secretName: string;
  readonly stream?: string | undefined;
}

/**
 * A failed sign-in. `answer` is the last whole answer from the token endpoint (or the SOAP login),
 * read from the transport: jsforce's OAuth2 turns an error body that is not `{error: "…"}` into an
 * Error named "[object Object]" and drops the status and Retry-After.
 */
export function loginError(error: unknown, answer: { response: TransportResponse; request: TransportRequest } | undefined, info: LoginInfo): SourceError {
  const prefix = `Salesforce login (${info.authType}) at ${info.loginUrl} failed`;
  const context: ErrorContext = { source: info.sourceId, ...(info.stream ? { stream: info.stream } : {}) };
  if (error instanceof TransportError) {
    return new SourceError(`${prefix}: ${error.message}`, {
      cause: error, context: { ...context, ...(error.status === undefined ? {} : { status: error.status }) }, retryable: true,
    });
  }
  if (!answer) {
    const e = (error ?? {}) as { name?: string; message?: string };
    return new SourceError(`${prefix}: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${truncate(e.message ?? 'no detail')}`, { cause: error, context });
  }
  const { response, request } = answer;
  const status = response.statusCode;
  const endpoint = withoutQuery(request.url);
  const soap = /\/services\/Soap\//.test(endpoint);
  const vendor = vendorError(response.body);
  const withStatus = { ...context, status, ...(vendor.code ? { errorCode: vendor.code } : {}) };
  if (status >= 400) {
    const refused = status < 500 ? status !== 429 : soap && vendor.code !== undefined && !/SERVER_UNAVAILABLE/.test(vendor.code);
    if (refused && vendor.code && vendor.description) {
      // The OAuth shape, `{error, error_description}`: the grant itself was refused; asking again changes nothing.
      const said = vendor.description.startsWith(`${vendor.code}:`) ? vendor.description : `${vendor.code}: ${vendor.description}`;
      const hint = refusalHint(vendor.code, info);
      return new SourceError(`${prefix}: ${said}${hint ? `${/[.!?]$/.test(said) ? '' : '.'} ${hint}` : ''}`, { cause: error, context: withStatus });
    }
    const said = vendor.code || vendor.description ? ` (${[vendor.code, vendor.description].filter(Boolean).join(': ')})` : '';
    const retryAfterMs = refused ? undefined : parseRetryAfter(response.headers['retry-after']);
    return new SourceError(`${prefix}: the ${soap ? 'SOAP login endpoint' : 'OAuth token endpoint'} ${endpoint} answered HTTP ${status}${said}`, {
      cause: error, context: withStatus, retryable: !refused, ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (!(soap ? isWholeEnvelope(response.body) : vendor.json)) {
    return new SourceError(`${prefix}: the ${soap ? 'SOAP login endpoint' : 'OAuth token endpoint'} ${endpoint} returned ` +
      `${soap ? 'a body that is not a whole SOAP envelope' : 'a body that is not JSON'} (HTTP ${status}; cut short?)`, {
      cause: error, context: withStatus, retryable: true,
    });
  }
  return new SourceError(`${prefix}: ${truncate((error as Error | null)?.message ?? 'no detail')}`, { cause: error, context: withStatus });
}

/** What to fix for a refused grant; the secret is named, never quoted. */
function refusalHint(code: string, info: LoginInfo): string {
  // invalid_grant (OAuth) and INVALID_LOGIN (SOAP): the credentials themselves were refused.
  if (code !== 'invalid_grant' && code !== 'INVALID_LOGIN') return '';
  const secret = `secret "${info.secretName}"`;
  switch (info.authType) {
    case 'refresh_token':
      return `The refresh token was revoked or has expired, or belongs to another connected app: authorise the app again and update refresh_token in ${secret}.`;
    case 'jwt_bearer':
      return `Check client_id, username and private_key in ${secret}: the connected app must hold the matching certificate and the user must be pre-authorised for it.`;
    default:
      return `Check username, password and security_token in ${secret} (resetting the password issues a new security token).`;
  }
}

interface VendorError {
  readonly code?: string | undefined;
  readonly description?: string | undefined;
  /** The body parsed as a JSON object. */
  readonly json: boolean;
}

/**
 * The vendor's words in an error body: OAuth `{error, error_description}`, REST `[{errorCode, message}]`,
 * a gateway's `{error: {status, message}}`, a SOAP fault, or the text of anything else.
 */
export function vendorError(body: string): VendorError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const faultcode = /<faultcode>([^<]+)<\/faultcode>/.exec(body)?.[1];
    if (faultcode) return { code: faultcode.replace(/^\w+:/, ''), description: /<faultstring>([^<]+)<\/faultstring>/.exec(body)?.[1], json: false };
    const text = truncate(body.replace(/<[^>]*>/g, ' '), 120);
    return { ...(text ? { description: text } : {}), json: false };
  }
  const first = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | null | undefined;
  if (typeof first !== 'object' || first === null) return { json: false };
  const nested = typeof first.error === 'object' && first.error !== null ? first.error as Record<string, unknown> : undefined;
  const code = text(first.error) ?? text(first.errorCode) ?? text(nested?.status) ?? text(nested?.code);
  const description = text(first.error_description) ?? text(first.message) ?? text(nested?.message);
  return { code, description, json: !Array.isArray(parsed) };
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return truncate(value);
  return typeof value === 'number' ? String(value) : undefined;
}

function isWholeEnvelope(body: string): boolean {
  return /<\/(?:\w+:)?Envelope>\s*$/.test(body);
}

export function truncate(value: string, max = 300): string {
  const flat = value.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
