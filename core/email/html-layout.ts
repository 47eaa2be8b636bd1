import type { Locale } from '../config/schema.ts';
import { escapeHtml } from './escape-html.ts';
import { TONE_COLORS, type Tone } from './labels.ts';

/**
 * Building blocks of the Outlook-safe emails: nested tables, inline CSS, bgcolor attributes,
 * no flex or grid, a 640 px column. Every function takes plain text and escapes it.
 */

export const FONT = "font-family:'Malgun Gothic','Apple SD Gothic Neo',Arial,Helvetica,sans-serif;";

/** The email's column width in CSS pixels. */
export const EMAIL_WIDTH = 640;

export const INTL_LOCALE: Record<Locale, string> = { ko: 'ko-KR', en: 'en-US' };

/**
 * The whole document: a grey page with one white 640 px column holding `rows` (each a `<tr>`).
 * Outlook takes the width attribute (640); other clients take the CSS, which lets the column
 * shrink on a phone.
 */
export function emailDocument(options: { readonly locale: Locale; readonly title: string; readonly rows: readonly string[] }): string {
  return '<!DOCTYPE html>\n' +
    `<html lang="${options.locale}">\n<head>\n<meta charset="utf-8">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    '<meta name="color-scheme" content="light">\n' +
    `<title>${escapeHtml(options.title)}</title>\n</head>\n` +
    '<body style="margin:0;padding:0;background-color:#f2f4f7;">\n' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f2f4f7" style="background-color:#f2f4f7;">\n' +
    '<tr><td align="center" style="padding:24px 0;">\n' +
    `<table role="presentation" width="${EMAIL_WIDTH}" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" ` +
    `style="width:100%;max-width:${EMAIL_WIDTH}px;background-color:#ffffff;border:1px solid #e4e7ec;">\n` +
    options.rows.join('\n') +
    '\n</table>\n</td></tr>\n</table>\n</body>\n</html>\n';
}

/** The title and the line under it. */
export function headerRow(title: string, subtitle: string): string {
  return `<tr><td style="padding:24px 24px 8px 24px;${FONT}">` +
    `<h1 style="margin:0;font-size:20px;line-height:28px;color:#101828;font-weight:bold;${FONT}">${escapeHtml(title)}</h1>` +
    `<p style="margin:4px 0 0 0;font-size:13px;line-height:20px;color:#667085;${FONT}">${escapeHtml(subtitle)}</p>` +
    '</td></tr>';
}

export function paragraphRow(text: string): string {
  return `<tr><td style="padding:8px 24px 16px 24px;font-size:14px;line-height:22px;color:#344054;${FONT}">${escapeHtml(text)}</td></tr>`;
}

/** A section title with a coloured rule on its left. */
export function sectionRow(title: string, tone: Tone): string {
  const accent = TONE_COLORS[tone].accent;
  return '<tr><td style="padding:8px 24px 12px 24px;">' +
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>' +
    `<td width="4" bgcolor="${accent}" style="width:4px;background-color:${accent};font-size:0;line-height:0;">&nbsp;</td>` +
    `<td style="padding:2px 0 2px 10px;font-size:16px;line-height:24px;font-weight:bold;color:#101828;${FONT}">${escapeHtml(title)}</td>` +
    '</tr></table></td></tr>';
}

/** A small coloured label. */
export function badge(text: string, tone: Tone): string {
  const colors = TONE_COLORS[tone];
  return `<span style="display:inline-block;padding:2px 8px;background-color:${colors.background};color:${colors.text};` +
    `font-size:12px;line-height:18px;font-weight:bold;white-space:nowrap;${FONT}">${escapeHtml(text)}</span>`;
}

export function footerRow(text: string): string {
  return `<tr><td style="padding:16px 24px 24px 24px;border-top:1px solid #e4e7ec;font-size:12px;line-height:18px;color:#667085;${FONT}">` +
    `${escapeHtml(text)}</td></tr>`;
}

/** Only http(s) links are rendered; anything else (javascript:, data:) is left out. */
export function safeLinkUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Control characters (line breaks, tabs) in names would break a header or a text line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** A whole number with the locale's grouping: "1,234". */
export function formatCount(count: number, locale: Locale): string {
  return new Intl.NumberFormat(INTL_LOCALE[locale], { maximumFractionDigits: 0 }).format(count);
}

/**
 * An instant in a time zone, with the zone's name: "2026년 11월 23일 오전 9:30 GMT+9" /
 * "Nov 22, 2026, 7:30 PM EST". An unparsable instant gives "—".
 */
export function formatDateTime(instant: Date | string, locale: Locale, timeZone: string): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], {
    year: 'numeric', month: locale === 'ko' ? 'long' : 'short', day: 'numeric',
    hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone,
  }).format(date);
}

/** How long ago, in the largest whole unit: "3일 전" / "3 days ago", "5시간 전" / "5 hours ago". */
export function formatElapsed(since: Date | string, now: Date, locale: Locale): string | null {
  const start = typeof since === 'string' ? new Date(since) : since;
  const milliseconds = now.getTime() - start.getTime();
  if (Number.isNaN(milliseconds) || milliseconds < 0) return null;
  const minutes = Math.floor(milliseconds / 60_000);
  const format = new Intl.RelativeTimeFormat(INTL_LOCALE[locale], { numeric: 'always' });
  if (minutes < 60) return format.format(-minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return format.format(-hours, 'hour');
  return format.format(-Math.floor(hours / 24), 'day');
}

/** The name of the time zone for a footer note: "Asia/Seoul". Falls back to UTC for an unknown zone. */
export function usableTimeZone(zone: string | undefined, fallback: string): string {
  for (const candidate of [zone, fallback]) {
    if (candidate === undefined || candidate === '') continue;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: candidate });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return 'UTC';
}
