import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Goal } from '../../core/config/schema.ts';
import type { GoalEvaluation } from '../../core/goals/evaluation.ts';
import type { KpiDefinition } from '../../core/kpi/definition.ts';
import { MailError } from '../../core/errors.ts';
import { createMailer, type OutgoingEmail } from '../../core/email/mailer.ts';
import { renderDigestEmail } from '../../core/email/render-digest-email.ts';

const conversionRate: KpiDefinition = {
  id: 'conversion_rate',
  name: { ko: '전환율', en: 'Conversion rate' },
  definition: { ko: 'Σ 주요 이벤트 / Σ 세션', en: 'key_events / sessions' },
  unit: 'ratio',
  direction: 'higher_is_better',
  category: 'conversion',
  table: 'ga4_traffic_daily',
  numerator: 'key_events',
  denominator: 'sessions',
  segments: [],
};

const conversionGoal: Goal = {
  id: 'conversion_weekly',
  kpi: 'conversion_rate',
  grain: 'week',
  target: 0.03,
  direction: 'at_least',
  owner: '김민지',
  recipients: ['kim@example.com'],
  severity: 'warning',
};

const evaluation: GoalEvaluation = {
  goal: conversionGoal,
  kpi: conversionRate,
  status: 'behind',
  periodResult: 'breached',
  period: { start: '2026-11-16', end: '2026-11-22' },
  actual: 0.021,
  target: 0.03,
  gap: -0.009,
  gapRatio: -0.3,
  trend: [],
};

function alertEmail(subjectSuffix = ''): OutgoingEmail {
  const rendered = renderDigestEmail({
    recipient: { email: 'kim@example.com', name: '김민지', locale: 'ko' },
    notifications: [{
      key: 'conversion_weekly|threshold|all', reason: 'firing', kind: 'threshold', severity: 'warning', evaluation,
      summary: { ko: '지난주 목표 미달', en: 'below goal last week' }, since: '2026-11-23T00:30:00.000Z',
    }],
    project: 'Acme',
    currency: 'KRW',
    snapshotDate: '2026-11-23',
    timeZone: 'Asia/Seoul',
    now: new Date('2026-11-23T00:30:00Z'),
    dashboardUrl: 'https://dash.example.com/kpi',
  });
  return {
    from: 'KPI 알림 <kpi@example.com>',
    to: { address: 'kim@example.com', name: '김민지' },
    subject: rendered.subject + subjectSuffix,
    html: rendered.html,
    text: rendered.text,
    date: new Date('2026-11-23T00:30:00Z'),
    fileStem: '2026-11-23-kim-at-example-com',
  };
}

function firstAddress(address: AddressObject | AddressObject[] | undefined): string | undefined {
  return (Array.isArray(address) ? address[0] : address)?.value[0]?.address;
}

interface Received {
  readonly mailFrom: string | false;
  readonly rcptTo: readonly string[];
  readonly user: unknown;
  readonly parsed: ParsedMail;
}

describe('SmtpMailer against a local SMTP server', () => {
  const received: Received[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      closeTimeout: 1000,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'kpi' && auth.password === 's3cret-pass') callback(null, { user: 'kpi' });
        else callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        simpleParser(stream).then((parsed) => {
          received.push({
            mailFrom: session.envelope.mailFrom === false ? false : session.envelope.mailFrom.address,
            rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            user: session.user,
            parsed,
          });
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

  it('delivers the alert email with the bare sender address in the envelope', async () => {
    // Prepare
    const mailer = createMailer({ outboxDir: '/nonexistent/outbox', smtpUrl: `smtp://127.0.0.1:${port}` });
    const email = alertEmail();
    const before = received.length;
    // Act
    const sent = await mailer.send(email);
    // Assess
    expect(mailer.description).toBe(`SMTP 127.0.0.1:${port}`);
    expect(received).toHaveLength(before + 1);
    const message = received[before];
    expect(message?.mailFrom).toBe('kpi@example.com');
    expect(message?.rcptTo).toEqual(['kim@example.com']);
    expect(message?.parsed.subject).toBe('[KPI] 전환율 2.1% — 목표 3% 미달 (주간)');
    expect(firstAddress(message?.parsed.to)).toBe('kim@example.com');
    expect(message?.parsed.html).toBe(email.html);
    expect(message?.parsed.html).toContain('−0.9%p (−30%)');
    expect(message?.parsed.text).toBe(email.text);
    expect(sent).toEqual({
      to: 'kim@example.com',
      subject: email.subject,
      location: `smtp://127.0.0.1:${port} ${message?.parsed.messageId}`,
    });
  });

  it('logs in with the credentials in the URL and never shows them', async () => {
    // Prepare
    const mailer = createMailer({ outboxDir: '/nonexistent/outbox', smtpUrl: `smtp://kpi:s3cret-pass@127.0.0.1:${port}` });
    const before = received.length;
    // Act
    const sent = await mailer.send(alertEmail(' (auth)'));
    // Assess
    expect(received[before]?.user).toBe('kpi');
    expect(received[before]?.parsed.subject).toBe('[KPI] 전환율 2.1% — 목표 3% 미달 (주간) (auth)');
    expect(mailer.description).not.toContain('s3cret');
    expect(sent.location).not.toContain('s3cret');
  });

  it('wraps a refused login in a MailError that names host:port but not the password', async () => {
    // Prepare
    const mailer = createMailer({ outboxDir: '/nonexistent/outbox', smtpUrl: `smtp://kpi:wr0ng-pass@127.0.0.1:${port}` });
    // Act
    const error: unknown = await mailer.send(alertEmail()).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(MailError);
    const mailError = error as MailError;
    expect(mailError.message).toContain(`SMTP 127.0.0.1:${port}`);
    expect(mailError.message).not.toContain('wr0ng-pass');
    expect(JSON.stringify(mailError.context)).not.toContain('wr0ng-pass');
    expect(mailError.cause).toBeInstanceOf(Error);
  });

  it('rejects a URL that is not smtp(s) without repeating it', () => {
    // Prepare
    const smtpUrl = 'https://kpi:top-secret@mail.example.com';
    // Act
    let error: unknown;
    try {
      createMailer({ outboxDir: '/tmp/x', smtpUrl });
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).message).toBe('the SMTP URL must start with smtp:// or smtps://, not https://');
    expect(String((error as MailError).cause)).not.toContain('top-secret');
  });
});

describe('OutboxMailer', () => {
  let outboxDir: string;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kpi-outbox-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    root = await mkdtemp(join(tmpdir(), 'kpi-outbox-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the .eml and an .html preview, creating the folder', async () => {
    // Prepare
    outboxDir = join(root, 'outbox', 'nested');
    const mailer = createMailer({ outboxDir });
    const email = alertEmail();
    // Act
    const sent = await mailer.send(email);
    // Assess
    expect(mailer.description).toBe(`outbox ${outboxDir}`);
    expect(sent.location).toBe(join(outboxDir, '2026-11-23-kim-at-example-com.eml'));
    expect((await readdir(outboxDir)).sort()).toEqual([
      '2026-11-23-kim-at-example-com.eml',
      '2026-11-23-kim-at-example-com.html',
    ]);
    expect(await readFile(join(outboxDir, '2026-11-23-kim-at-example-com.html'), 'utf8')).toBe(email.html);
    const parsed = await simpleParser(await readFile(sent.location));
    expect(parsed.subject).toBe('[KPI] 전환율 2.1% — 목표 3% 미달 (주간)');
    expect(firstAddress(parsed.to)).toBe('kim@example.com');
    expect(parsed.from?.value[0]).toEqual({ name: 'KPI 알림', address: 'kpi@example.com' });
    expect(parsed.html).toBe(email.html);
    expect(parsed.text).toBe(email.text);
  });

  it('replaces the files when the same email is written again', async () => {
    // Prepare
    outboxDir = join(root, 'outbox');
    const mailer = createMailer({ outboxDir });
    await mailer.send(alertEmail(' (first)'));
    // Act
    const sent = await mailer.send(alertEmail(' (second)'));
    // Assess
    expect((await readdir(outboxDir)).sort()).toEqual([
      '2026-11-23-kim-at-example-com.eml',
      '2026-11-23-kim-at-example-com.html',
    ]);
    const parsed = await simpleParser(await readFile(sent.location));
    expect(parsed.subject).toBe('[KPI] 전환율 2.1% — 목표 3% 미달 (주간) (second)');
  });

  it('refuses a file name that would leave the outbox', async () => {
    // Prepare
    outboxDir = join(root, 'outbox');
    const mailer = createMailer({ outboxDir });
    const email = { ...alertEmail(), fileStem: '../escaped' };
    // Act
    const error: unknown = await mailer.send(email).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(MailError);
    expect(await readdir(root)).toEqual([]);
  });
});
