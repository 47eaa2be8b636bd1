import { simpleParser, type AddressObject } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeMime, createMessageId } from '../../core/email/compose-mime.ts';

const koreanSubject = '[KPI] 전환율 2.1% — 목표 3% 미달 (주간)';

function message(overrides: Partial<Parameters<typeof composeMime>[0]> = {}): Parameters<typeof composeMime>[0] {
  return {
    from: 'KPI 알림 <kpi@example.com>',
    to: { address: 'kim@example.com', name: '김민지' },
    subject: koreanSubject,
    html: '<!DOCTYPE html><html lang="ko"><body><table><tr><td>전환율 2.1%</td></tr></table></body></html>\n',
    text: '전환율 2.1%\n목표: ≥ 3%\n',
    date: new Date('2026-11-23T00:30:00Z'),
    messageId: '<test-1@example.com>',
    ...overrides,
  };
}

function single(address: AddressObject | AddressObject[] | undefined): AddressObject | undefined {
  return Array.isArray(address) ? address[0] : address;
}

describe('composeMime', () => {
  it('builds a multipart/alternative message that parses back to the inputs', async () => {
    // Prepare
    const input = message();
    // Act
    const raw = await composeMime(input);
    const parsed = await simpleParser(raw);
    // Assess
    expect(parsed.subject).toBe(koreanSubject);
    expect(parsed.from?.value).toEqual([{ name: 'KPI 알림', address: 'kpi@example.com' }]);
    expect(single(parsed.to)?.value).toEqual([{ name: '김민지', address: 'kim@example.com' }]);
    expect(parsed.text).toBe(input.text);
    expect(parsed.html).toBe(input.html);
    expect(parsed.date?.toISOString()).toBe('2026-11-23T00:30:00.000Z');
    expect(parsed.messageId).toBe('<test-1@example.com>');
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
  });

  it('encodes non-ASCII headers so the raw message is 7-bit header text', async () => {
    // Prepare
    const input = message();
    // Act
    const raw = (await composeMime(input)).toString('latin1');
    const headerBlock = raw.slice(0, raw.indexOf('\r\n\r\n'));
    // Assess
    expect(headerBlock).toMatch(/^Subject: =\?UTF-8\?B\?/m);
    expect(headerBlock).toMatch(/^MIME-Version: 1\.0$/m);
    // eslint-disable-next-line no-control-regex
    expect(headerBlock).toMatch(/^[\x00-\x7f]*$/);
  });

  it('does not let a line break in the subject add a header', async () => {
    // Prepare
    const input = message({ subject: 'Weekly KPI\r\nBcc: x@evil.example', to: { address: 'kim@example.com' } });
    // Act
    const raw = await composeMime(input);
    const parsed = await simpleParser(raw);
    // Assess
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(raw.toString('latin1')).not.toMatch(/^Bcc:/im);
    expect(parsed.subject).toBe('Weekly KPI Bcc: x@evil.example');
    expect(single(parsed.to)?.value).toEqual([{ name: '', address: 'kim@example.com' }]);
  });

  it('makes message ids with the sender domain', () => {
    // Prepare
    const sender = 'KPI 알림 <kpi@mail.example.com>';
    // Act
    const first = createMessageId(sender);
    const second = createMessageId(sender);
    // Assess
    expect(first).toMatch(/^<[0-9a-f-]{36}@mail\.example\.com>$/);
    expect(second).not.toBe(first);
  });
});
