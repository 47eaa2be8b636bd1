import { SendEmailCommand, SESv2Client, type SESv2ClientConfig } from '@aws-sdk/client-sesv2';
import { describeError, MailError } from '../errors.ts';
import { parseRetryAfter, withRetry, type RetryDecision, type RetryPolicy } from '../retry.ts';
import { bareAddress, composeMime, createMessageId } from './compose-mime.ts';
import type { Mailer, OutgoingEmail, SentEmail } from './mailer.ts';
import { awsClientConfig } from '../aws-client-config.ts';

export interface SesMailerOptions {
  /** A ready client (tests, custom middleware). region, endpoint and credentials are then ignored. */
  readonly client?: SESv2Client;
  /** Defaults to the SDK's resolution (AWS_REGION in Lambda); with an endpoint, to AWS_REGION or us-east-1. */
  readonly region?: string;
  /** An SES v2-compatible endpoint (a stand-in). Omit for AWS; AWS_ENDPOINT_URL_SESV2 also works. */
  readonly endpoint?: string;
  /** Defaults to the SDK's credential chain (the function's role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The SES configuration set every email is sent with (event publishing, reputation metrics). */
  readonly configurationSetName?: string;
  /** How TooManyRequestsException, 5xx and dropped connections are retried. */
  readonly retryPolicy?: RetryPolicy;
}

/** SES's sending-rate throttle clears within seconds; wait a little, a few times. */
const defaultSesRetryPolicy: RetryPolicy = { attempts: 4, baseDelayMs: 1000, maxDelayMs: 8000, maxTotalWaitMs: 30_000 };

/**
 * Sends the composed MIME message (the same bytes the outbox and SMTP mailers produce) with
 * SES v2 `SendEmail` and raw content. Throttling is retried here, with backoff, rather than by the
 * SDK (a client built here makes one attempt per call), so every attempt is counted in one place.
 * SES's own errors become MailErrors that say what to do about them.
 */
export class SesMailer implements Mailer {
  readonly description: string;
  readonly client: SESv2Client;
  readonly region: string | undefined;
  readonly configurationSetName: string | undefined;
  readonly #retryPolicy: RetryPolicy;
  readonly #secrets: readonly string[];

  constructor(options: SesMailerOptions = {}) {
    const config = clientConfig(options);
    this.client = options.client ?? new SESv2Client(config);
    this.region = options.client === undefined ? config.region as string | undefined : options.region;
    this.region ??= process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION'] || undefined;
    this.configurationSetName = options.configurationSetName?.trim() || undefined;
    this.description = `SES (${this.region ?? 'the default region'})`;
    this.#retryPolicy = options.retryPolicy ?? defaultSesRetryPolicy;
    this.#secrets = [options.credentials?.accessKeyId ?? '', options.credentials?.secretAccessKey ?? '']
      .filter((secret) => secret.length >= 3);
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    const to = email.to.address;
    const from = bareAddress(email.from);
    if (from === undefined) {
      throw new MailError('the sender has no email address; write e.g. "KPI 알림 <kpi@example.com>"', { context: { ses: this.region, to } });
    }
    const raw = await composeMime({ ...email, messageId: createMessageId(email.from) });
    const command = new SendEmailCommand({
      FromEmailAddress: from,
      Destination: { ToAddresses: [to] },
      Content: { Raw: { Data: raw } },
      ...(this.configurationSetName === undefined ? {} : { ConfigurationSetName: this.configurationSetName }),
    });
    let attempts = 0;
    let response;
    try {
      response = await withRetry(
        (attempt) => {
          attempts = attempt;
          return this.client.send(command);
        },
        classifySesError,
        { policy: this.#retryPolicy },
      );
    } catch (error) {
      throw this.#error(error, { to, from, attempts });
    }
    if (!response.MessageId) {
      throw new MailError(`SES (${this.region ?? 'default region'}) accepted the email to ${to} but returned no MessageId`, {
        context: { ses: this.region, to, status: response.$metadata.httpStatusCode },
      });
    }
    return { to, subject: email.subject, location: `ses:${response.MessageId}` };
  }

  #error(error: unknown, where: { to: string; from: string; attempts: number }): MailError {
    const { to, from, attempts } = where;
    const name = error instanceof Error ? error.name : 'Error';
    const reason = this.#redact(describeError(error));
    const status = httpStatus(error);
    const region = this.region ?? 'the default region';
    const context = {
      ses: this.region,
      to,
      errorName: name,
      attempts,
      ...(status === undefined ? {} : { status }),
      ...(this.configurationSetName === undefined ? {} : { configurationSet: this.configurationSetName }),
      ...(name === 'MessageRejected' ? { messageRejected: reason } : {}),
    };
    let message: string;
    switch (name) {
      case 'MessageRejected':
        message = `SES rejected the email to ${to}: ${reason}` + rejectionAdvice(reason, to, from, region);
        break;
      case 'MailFromDomainNotVerifiedException':
        message = `SES (${region}) cannot send from ${from}: the sending domain is not verified (${reason}). ` +
          `Verify the domain identity in SES in ${region} (aws sesv2 create-email-identity --email-identity ${domainOf(from)}), ` +
          'and if it uses a custom MAIL FROM domain, publish that domain\'s MX record.';
        break;
      case 'AccountSuspendedException':
        message = `SES (${region}) refused the email to ${to}: the account's ability to send email is permanently restricted ` +
          `(${reason}). Contact AWS Support; no retry will help.`;
        break;
      case 'SendingPausedException':
        message = `SES (${region}) refused the email to ${to}: sending is paused for the account` +
          `${this.configurationSetName === undefined ? '' : ` or the configuration set ${this.configurationSetName}`} (${reason}). ` +
          'Check the bounce and complaint rates in the SES console, then resume sending ' +
          '(aws sesv2 put-account-sending-attributes --sending-enabled' +
          `${this.configurationSetName === undefined ? '' : `, or aws sesv2 put-configuration-set-sending-options --configuration-set-name ${this.configurationSetName} --sending-enabled`}).`;
        break;
      case 'TooManyRequestsException':
        message = `SES (${region}) kept throttling the email to ${to} after ${attempts} attempt${attempts === 1 ? '' : 's'} ` +
          `(${reason}): send fewer emails per second or ask AWS to raise the SES sending rate quota.`;
        break;
      case 'NotFoundException':
        message = `SES (${region}) could not send the email to ${to}: ${reason}` +
          (this.configurationSetName === undefined
            ? ''
            : ` — check that the configuration set ${this.configurationSetName} exists in ${region}`);
        break;
      default:
        message = `could not send the email to ${to} via SES (${region}): ${name === 'Error' ? '' : `${name}: `}${reason}`;
    }
    return new MailError(message, { cause: error, context });
  }

  #redact(text: string): string {
    return this.#secrets.reduce((result, secret) => result.split(secret).join('***'), text);
  }
}

function clientConfig(options: SesMailerOptions): SESv2ClientConfig {
  // One attempt per call: retries happen in SesMailer.send, which classifies SES's errors itself.
  return { ...awsClientConfig(options), maxAttempts: 1 };
}

const transientNetworkCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** Throttling, SES-side failures (5xx) and dropped connections are worth another attempt; nothing else is. */
export function classifySesError(error: unknown): RetryDecision {
  if (!(error instanceof Error)) return { retryable: false };
  const status = httpStatus(error);
  const retryAfterMs = parseRetryAfter(retryAfterHeader(error));
  const hint = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (error.name === 'TooManyRequestsException' || status === 429) return { retryable: true, ...hint };
  if (status !== undefined && status >= 500) return { retryable: true, ...hint };
  const code = (error as { code?: unknown }).code;
  if (status === undefined && typeof code === 'string' && transientNetworkCodes.has(code)) return { retryable: true };
  return { retryable: false };
}

/**
 * SES in the sandbox answers "Email address is not verified. The following identities failed the
 * check in region AP-NORTHEAST-2: kim@example.com": say which address to verify, or how to leave.
 */
function rejectionAdvice(reason: string, to: string, from: string, region: string): string {
  if (!/not verified/i.test(reason)) return '';
  const listed = /failed the check in region [^:]*:\s*(.*)$/i.exec(reason)?.[1] ?? '';
  const failed = new Set(listed.toLowerCase().split(/[\s,]+/).map((identity) => identity.replace(/\.$/, '')).filter(Boolean));
  const recipientFailed = failed.size === 0 || failed.has(to.toLowerCase());
  const senderFailed = failed.has(from.toLowerCase()) || failed.has(domainOf(from).toLowerCase());
  const advice: string[] = [];
  if (recipientFailed) {
    advice.push(
      `the SES account is in the sandbox in ${region}, where it sends only to verified addresses: ` +
      `verify the recipient (aws sesv2 create-email-identity --email-identity ${to}) ` +
      'or request production access to leave the SES sandbox (aws sesv2 put-account-details --production-access-enabled …)',
    );
  }
  if (senderFailed) {
    advice.push(`verify the sender ${from} or its domain ${domainOf(from)} in SES in ${region}`);
  }
  return advice.length === 0 ? '' : ` — ${advice.join('; ')}.`;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function retryAfterHeader(error: unknown): string | undefined {
  const headers = (error as { $response?: { headers?: Record<string, string | undefined> } }).$response?.headers;
  return headers?.['retry-after'] ?? headers?.['Retry-After'];
}
