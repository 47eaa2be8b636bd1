import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertNotification } from '../../core/alerts/notification.ts';
import type { KpiDefinition } from '../../core/kpi/definition.ts';
import { createMailer } from '../../core/email/mailer.ts';
import { renderDigestEmail } from '../../core/email/render-digest-email.ts';

/** The digest's inline charts go through nodemailer's SMTP client to a server on loopback. */

const conversionRate: KpiDefinition = {
  id: 'conversion_rate', name: { ko: '전환율', en: 'Conversion rate' }, definition: { ko: '정의', en: 'definition' },
  unit: 'ratio', direction: 'higher_is_better', category: 'conversion', table: 'ga4_traffic_daily', numerator: 'key_events',
  denominator: 'sessions', segments: [],
};

const alert: AlertNotification = {
  key: 'conversion_weekly|threshold|all',
  reason: 'firing',
  kind: 'threshold',
  severity: 'critical',
  summary: { ko: '2주 연속 목표 아래입니다.', en: 'Below goal 2 weeks in a row.' },
  since: '2026-11-23T00:00:00Z',
  evaluation: {
    goal: {
      id: 'conversion_weekly', kpi: 'conversion_rate', grain: 'week', target: 0.025, direction: 'at_least', owner: '김민지',
      recipients: ['kim@example.com'], severity: 'critical',
    },
    kpi: conversionRate,
    status: 'behind',
    periodResult: 'breached',
    period: { start: '2026-11-16', end: '2026-11-22' },
    actual: 0.014,
    target: 0.025,
    gap: -0.011,
    gapRatio: -0.44,
    trend: [
      { periodStart: '2026-11-02', value: 0.026 },
      { periodStart: '2026-11-09', value: 0.027 },
      { periodStart: '2026-11-16', value: 0.014 },
    ],
  },
};

describe('SmtpMailer with inline charts', () => {
  const received: ParsedMail[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream, { skipImageLinks: true }).then((parsed) => {
          received.push(parsed);
          callback();
        }, (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers the chart as an inline image the HTML refers to by cid', async () => {
    // Prepare
    const rendered = renderDigestEmail({
      recipient: { email: 'kim@example.com', name: '김민지', locale: 'ko' }, notifications: [alert], project: 'Acme', currency: 'KRW',
      snapshotDate: '2026-11-23', timeZone: 'Asia/Seoul', now: new Date('2026-11-23T00:30:00Z'),
    });
    const mailer = createMailer({ outboxDir: '/nonexistent/outbox', smtpUrl: `smtp://127.0.0.1:${port}` });
    // Act
    await mailer.send({
      from: 'KPI 알림 <kpi@example.com>', to: { address: 'kim@example.com' }, ...rendered,
      date: new Date('2026-11-23T00:30:00Z'), fileStem: 'unused',
    });
    // Assess
    expect(received).toHaveLength(1);
    const [message] = received;
    expect(message?.subject).toBe('[KPI] 전환율 1.4% — 목표 2.5% 미달 (주간)');
    expect(message?.html).toBe(rendered.html);
    expect(message?.html).toContain('<img src="cid:trend-1@kpi-pipeline" width="544" height="150"');
    expect(message?.attachments.map((a) => [a.cid, a.contentType, a.contentDisposition, a.related])).toEqual([
      ['trend-1@kpi-pipeline', 'image/png', 'inline', true],
    ]);
    expect(message?.attachments[0]?.content.equals(rendered.attachments[0]!.content)).toBe(true);
  });
});
