import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MailError } from '../errors.ts';
import { composeMime, createMessageId, type InlineAttachment } from './compose-mime.ts';
import type { Mailer, OutgoingEmail, SentEmail } from './mailer.ts';

/**
 * Writes each email as `<outboxDir>/<fileStem>.eml` (the full MIME message with its inline
 * images as `cid:` parts, opens in any mail client) and `<outboxDir>/<fileStem>.html` (the HTML
 * part for a browser preview, each `cid:` image inlined as a `data:` URI so it shows from the file).
 * Each file is written to a temporary name and renamed, so a reader never sees half a file;
 * sending again with the same fileStem replaces both files.
 */
export class OutboxMailer implements Mailer {
  readonly outboxDir: string;
  readonly description: string;

  constructor(outboxDir: string) {
    this.outboxDir = outboxDir;
    this.description = `outbox ${outboxDir}`;
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    const context = { outboxDir: this.outboxDir, fileStem: email.fileStem };
    if (!isSafeFileStem(email.fileStem)) {
      throw new MailError(`not a usable outbox file name: ${JSON.stringify(email.fileStem)}`, { context });
    }
    const mime = await composeMime({ ...email, messageId: createMessageId(email.from) });
    const emlPath = join(this.outboxDir, `${email.fileStem}.eml`);
    const htmlPath = join(this.outboxDir, `${email.fileStem}.html`);
    try {
      await mkdir(this.outboxDir, { recursive: true });
      await writeAtomically(emlPath, mime);
      await writeAtomically(htmlPath, previewHtml(email.html, email.attachments ?? []));
    } catch (error) {
      throw new MailError(`could not write the email to the outbox ${this.outboxDir}`, { cause: error, context });
    }
    return { to: email.to.address, subject: email.subject, location: emlPath };
  }
}

/**
 * The HTML with every `src="cid:…"` that names one of the attachments replaced by a `data:` URI
 * of that image; the HTML is returned unchanged without attachments.
 */
export function previewHtml(html: string, attachments: readonly InlineAttachment[]): string {
  if (attachments.length === 0) return html;
  const byCid = new Map(attachments.map((attachment) => [attachment.cid.toLowerCase(), attachment]));
  return html.replace(/(\ssrc\s*=\s*)(["'])cid:([^"']*)\2/gi, (whole, before: string, quote: string, cid: string) => {
    const attachment = byCid.get(decodeCid(cid).toLowerCase());
    if (attachment === undefined) return whole;
    return `${before}${quote}data:${attachment.contentType};base64,${attachment.content.toString('base64')}${quote}`;
  });
}

/** A `cid:` URL is percent-encoded (RFC 2392); ours are plain, but decode in case. */
function decodeCid(cid: string): string {
  try {
    return decodeURIComponent(cid.replace(/&amp;/g, '&'));
  } catch {
    return cid;
  }
}

/** One path segment: no separators, no leading dot, no control characters. */
function isSafeFileStem(stem: string): boolean {
  // eslint-disable-next-line no-control-regex
  return stem.length > 0 && stem.length <= 200 && !stem.startsWith('.') && !/[/\\\u0000-\u001f\u007f]/.test(stem);
}

async function writeAtomically(path: string, content: string | Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
