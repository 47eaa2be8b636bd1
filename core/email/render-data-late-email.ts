import type { DataTeamNotice } from '../alerts/evaluate-alerts.ts';
import type { LateSource } from '../pipeline/freshness.ts';
import { escapeHtml } from './escape-html.ts';

/**
 * The one email the data team gets when sources are late: which streams, how late, and which
 * marketers' alerts are held back meanwhile. English: it goes to the people who run the pipeline.
 */
export function renderDataLateEmail(input: {
  readonly project: string;
  readonly snapshotDate: string;
  readonly notices: readonly DataTeamNotice[];
  readonly late: readonly LateSource[];
}): { subject: string; html: string; text: string } {
  const firing = input.notices.filter((n) => n.reason !== 'resolved');
  const resolved = input.notices.filter((n) => n.reason === 'resolved');
  const subject = firing.length > 0
    ? `[KPI] Data late: ${input.late.map((l) => `${l.source}/${l.stream}`).join(', ') || firing.map((n) => n.table).join(', ')}`
    : `[KPI] Data caught up: ${resolved.map((n) => n.table).join(', ')}`;
  const lateLines = input.late.map((l) =>
    `${l.source}/${l.stream}: newest complete day ${l.newestDay ?? 'none (never synced)'}, expected ${l.expectedDay}${l.daysLate === null ? '' : ` (${l.daysLate} day${l.daysLate === 1 ? '' : 's'} late)`}`);
  const noticeLines = (list: readonly DataTeamNotice[]) => list.map((n) =>
    `${n.table}: ${n.summary.en}; KPIs ${n.kpiIds.join(', ')}${n.heldAlerts.length > 0 ? `; held alerts ${n.heldAlerts.join(', ')}` : ''}`);
  const text = [
    `${input.project} — data as of ${input.snapshotDate}`,
    '',
    ...(lateLines.length > 0 ? ['Late streams:', ...lateLines.map((l) => `  - ${l}`), ''] : []),
    ...(firing.length > 0 ? ['Held back until the data arrives (marketers are not emailed about these):', ...noticeLines(firing).map((l) => `  - ${l}`), ''] : []),
    ...(resolved.length > 0 ? ['Caught up:', ...noticeLines(resolved).map((l) => `  - ${l}`), ''] : []),
    'Check the ingest function logs and the dead-letter queue; `kpi sync --source <id>` reruns a source locally.',
  ].join('\n');
  const list = (lines: readonly string[]) => `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`;
  const html = `<!DOCTYPE html><html lang="en"><body style="font-family:Arial,sans-serif;font-size:14px;color:#101828;">` +
    `<h2 style="font-size:18px;">${escapeHtml(subject)}</h2>` +
    (lateLines.length > 0 ? `<p><b>Late streams</b></p>${list(lateLines)}` : '') +
    (firing.length > 0 ? `<p><b>Held back until the data arrives</b></p>${list(noticeLines(firing))}` : '') +
    (resolved.length > 0 ? `<p><b>Caught up</b></p>${list(noticeLines(resolved))}` : '') +
    `<p style="color:#475467;">Check the ingest function logs and the dead-letter queue; <code>kpi sync --source &lt;id&gt;</code> reruns a source locally.</p></body></html>`;
  return { subject, html, text };
}
