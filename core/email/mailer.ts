import type { InlineAttachment } from './compose-mime.ts';
import { OutboxMailer } from './outbox-mailer.ts';
import { SmtpMailer } from './smtp-mailer.ts';

/** One email ready to go out. */
export interface OutgoingEmail {
  /** A bare address or `Name <address>`. */
  readonly from: string;
  readonly to: { readonly address: string; readonly name?: string };
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly date: Date;
  /** Inline images (charts) the HTML shows with `<img src="cid:…">`; every mailer sends them in the MIME message. */
  readonly attachments?: readonly InlineAttachment[];
  /** base name for outbox files, e.g. 2026-11-22-kim-at-example-com */
  readonly fileStem: string;
}

export interface SentEmail {
  readonly to: string;
  readonly subject: string;
  /** The .eml file path, or `smtp://host:port <message-id>`. */
  readonly location: string;
}

/** The mail port: where alert emails go. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<SentEmail>;
  /** Where the mail goes, for logs; never contains credentials. */
  readonly description: string;
}

/** SMTP when `smtpUrl` is set (smtp:// or smtps://), else `.eml` files in `outboxDir`. */
export function createMailer(options: { outboxDir: string; smtpUrl?: string }): Mailer {
  if (options.smtpUrl !== undefined && options.smtpUrl.trim() !== '') return new SmtpMailer(options.smtpUrl.trim());
  return new OutboxMailer(options.outboxDir);
}
