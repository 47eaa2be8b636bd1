import { SESv2Client } from '@aws-sdk/client-sesv2';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MailError } from '../../core/errors.ts';
import type { OutgoingEmail } from '../../core/email/mailer.ts';
import { SesMailer } from '../../core/email/ses-mailer.ts';
import type { RetryPolicy } from '../../core/retry.ts';
import { startSesStandIn, type SesStandIn } from '../support/ses-standin.ts';

const credentials = { accessKeyId: 'AKIDSTANDIN0000', secretAccessKey: 'standin-secret-key-0000' };
const fastRetry: RetryPolicy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxTotalWaitMs: 100 };
const notVerified = 'Email address is not verified. The following identities failed the check in region AP-NORTHEAST-2: park@example.com';
const senderNotVerified = 'Email address is not verified. The following identities failed the check in region AP-NORTHEAST-2: kpi@example.com';

function alertEmail(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    from: 'KPI 알림 <kpi@example.com>',
    to: { address: 'kim@example.com', name: '김민지' },
    subject: '[KPI] 전환율 2.1% — 목표 3% 미달 (주간)',
    html: '<p>전환율이 <b>2.1%</b>로 목표 3%에 못 미쳤습니다.</p>',
    text: '전환율이 2.1%로 목표 3%에 못 미쳤습니다.',
    date: new Date('2026-11-23T00:30:00Z'),
    fileStem: '2026-11-23-kim-at-example-com',
    ...overrides,
  };
}

function firstAddress(address: AddressObject | AddressObject[] | undefined): string | undefined {
  return (Array.isArray(address) ? address[0] : address)?.value[0]?.address;
}

function mailerFor(standIn: SesStandIn, options: { configurationSetName?: string } = {}): SesMailer {
  return new SesMailer({ endpoint: standIn.endpoint, region: 'ap-northeast-2', credentials, retryPolicy: fastRetry, ...options });
}

describe('SesMailer against the SES v2 stand-in', () => {
  let standIn: SesStandIn;

  beforeAll(async () => {
    standIn = await startSesStandIn({
      reject: (to) => (to === 'park@example.com' ? notVerified : to === 'lee@example.com' ? senderNotVerified : undefined),
    });
  });

  afterAll(async () => {
    await standIn.stop();
  });

  beforeEach(() => {
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('sends the composed MIME as raw content, Korean subject intact, with the configuration set', async () => {
    // Prepare
    const mailer = mailerFor(standIn, { configurationSetName: 'kpi-alerts' });
    const email = alertEmail();
    const before = standIn.sent().length;
    // Act
    const sent = await mailer.send(email);
    // Assess
    const received = standIn.sent().slice(before);
    expect(received).toHaveLength(1);
    const [message] = received;
    expect(message?.from).toBe('kpi@example.com');
    expect(message?.to).toEqual(['kim@example.com']);
    expect(message?.configurationSetName).toBe('kpi-alerts');
    const parsed = await simpleParser(message?.raw ?? Buffer.alloc(0));
    expect(parsed.subject).toBe('[KPI] 전환율 2.1% — 목표 3% 미달 (주간)');
    expect(parsed.from?.value[0]).toEqual({ name: 'KPI 알림', address: 'kpi@example.com' });
    expect(firstAddress(parsed.to)).toBe('kim@example.com');
    expect(parsed.html).toBe(email.html);
    expect(parsed.text).toBe(email.text);
    expect(parsed.date?.toISOString()).toBe('2026-11-23T00:30:00.000Z');
    expect(sent).toEqual({ to: 'kim@example.com', subject: email.subject, location: `ses:${message?.messageId}` });
    expect(mailer.description).toBe('SES (ap-northeast-2)');
  });

  it('sends no configuration set when none is given', async () => {
    // Prepare
    const mailer = mailerFor(standIn);
    const before = standIn.sent().length;
    // Act
    await mailer.send(alertEmail({ from: 'kpi@example.com' }));
    // Assess
    const [message] = standIn.sent().slice(before);
    expect(message?.from).toBe('kpi@example.com');
    expect(message?.configurationSetName).toBeUndefined();
  });

  it('turns a sandbox rejection into a MailError that says to verify the recipient or leave the sandbox', async () => {
    // Prepare
    const mailer = mailerFor(standIn);
    const before = standIn.sent().length;
    // Act
    const error: unknown = await mailer.send(alertEmail({ to: { address: 'park@example.com' } })).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(MailError);
    const mailError = error as MailError;
    expect(mailError.message).toBe(
      `SES rejected the email to park@example.com: ${notVerified} — the SES account is in the sandbox in ap-northeast-2, ` +
      'where it sends only to verified addresses: verify the recipient (aws sesv2 create-email-identity --email-identity park@example.com) ' +
      'or request production access to leave the SES sandbox (aws sesv2 put-account-details --production-access-enabled …).',
    );
    expect(mailError.context).toEqual({
      ses: 'ap-northeast-2',
      to: 'park@example.com',
      errorName: 'MessageRejected',
      attempts: 1,
      status: 400,
      messageRejected: notVerified,
    });
    expect((mailError.cause as Error).name).toBe('MessageRejected');
    expect(mailError.message).not.toContain(credentials.secretAccessKey);
    expect(standIn.sent().slice(before)).toEqual([]);
  });

  it('says to verify the sender when SES names the sender as unverified', async () => {
    // Prepare
    const mailer = mailerFor(standIn);
    // Act
    const error: unknown = await mailer.send(alertEmail({ to: { address: 'lee@example.com' } })).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).message).toBe(
      `SES rejected the email to lee@example.com: ${senderNotVerified} — verify the sender kpi@example.com or its domain example.com in SES in ap-northeast-2.`,
    );
  });
});

describe('SesMailer when SES throttles', () => {
  const standIns: SesStandIn[] = [];

  beforeEach(() => {
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all(standIns.splice(0).map((standIn) => standIn.stop()));
  });

  it('retries TooManyRequestsException with backoff and then sends once', async () => {
    // Prepare
    const standIn = await startSesStandIn({ throttle: 2 });
    standIns.push(standIn);
    const mailer = mailerFor(standIn);
    // Act
    const sent = await mailer.send(alertEmail());
    // Assess
    expect(standIn.attempts()).toBe(3);
    expect(standIn.sent()).toHaveLength(1);
    expect(sent.location).toBe(`ses:${standIn.sent()[0]?.messageId}`);
  });

  it('gives up after the policy\'s attempts with a MailError about the sending rate', async () => {
    // Prepare
    const standIn = await startSesStandIn({ throttle: 10 });
    standIns.push(standIn);
    const mailer = mailerFor(standIn);
    // Act
    const error: unknown = await mailer.send(alertEmail()).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).message).toBe(
      'SES (ap-northeast-2) kept throttling the email to kim@example.com after 4 attempts (Maximum sending rate exceeded.): ' +
      'send fewer emails per second or ask AWS to raise the SES sending rate quota.',
    );
    expect((error as MailError).context).toMatchObject({ errorName: 'TooManyRequestsException', status: 429, attempts: 4 });
    expect(standIn.attempts()).toBe(4);
    expect(standIn.sent()).toEqual([]);
  });

  it('uses a client it is given', async () => {
    // Prepare
    const standIn = await startSesStandIn();
    standIns.push(standIn);
    const client = new SESv2Client({ endpoint: standIn.endpoint, region: 'eu-west-1', credentials });
    const mailer = new SesMailer({ client, region: 'eu-west-1' });
    // Act
    await mailer.send(alertEmail());
    // Assess
    expect(mailer.description).toBe('SES (eu-west-1)');
    expect(standIn.sent().map((message) => message.to)).toEqual([['kim@example.com']]);
  });
});
