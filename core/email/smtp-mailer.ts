import { createTransport } from 'nodemailer';
import { MailError } from '../errors.ts';
import { bareAddress, composeMime, createMessageId } from './compose-mime.ts';
import type { Mailer, OutgoingEmail, SentEmail } from './mailer.ts';

/**
 * Sends the composed MIME message over SMTP (`smtp://user:pass@host:port`, or `smtps://` for
 * TLS from the start). The URL may hold a password: descriptions and error messages name
 * host:port only, and any credential text is blanked out of the messages of wrapped errors.
 */
export class SmtpMailer implements Mailer {
  readonly description: string;
  /** `host:port`, safe to show. */
  readonly endpoint: string;
  readonly #smtpUrl: string;
  readonly #secrets: readonly string[];

  constructor(smtpUrl: string) {
    let url: URL;
    try {
      url = new URL(smtpUrl);
    } catch {
      // The parse error repeats the input, so it is not kept as the cause.
      throw new MailError('the SMTP URL is not a valid URL; write smtp://user:password@host:port');
    }
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
      throw new MailError(`the SMTP URL must start with smtp:// or smtps://, not ${url.protocol}//`);
    }
    if (url.hostname === '') throw new MailError('the SMTP URL has no host; write smtp://user:password@host:port');
    const port = url.port !== '' ? url.port : url.protocol === 'smtps:' ? '465' : '587';
    this.endpoint = `${url.hostname}:${port}`;
    this.description = `SMTP ${this.endpoint}`;
    this.#smtpUrl = smtpUrl;
    this.#secrets = [url.username, url.password, safeDecode(url.username), safeDecode(url.password)]
      .filter((secret) => secret.length >= 3);
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    const context = { smtp: this.endpoint, to: email.to.address };
    const envelopeFrom = bareAddress(email.from);
    if (envelopeFrom === undefined) {
      throw new MailError('the sender has no email address; write e.g. "KPI 알림 <kpi@example.com>"', { context });
    }
    const messageId = createMessageId(email.from);
    const raw = await composeMime({ ...email, messageId });
    const transport = createTransport(this.#smtpUrl);
    try {
      await transport.sendMail({ envelope: { from: envelopeFrom, to: [email.to.address] }, raw });
    } catch (error) {
      throw new MailError(`could not send the email via SMTP ${this.endpoint}: ${this.#redact(describe(error))}`, {
        cause: error,
        context,
      });
    } finally {
      transport.close();
    }
    return { to: email.to.address, subject: email.subject, location: `smtp://${this.endpoint} ${messageId}` };
  }

  #redact(text: string): string {
    return this.#secrets.reduce((result, secret) => result.split(secret).join('***'), text);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
