import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { listenOnLoopback, readBody } from '../../connectors/sandbox-kit/http.ts';

/** One email SES v2 accepted. */
export interface SesSentEmail {
  readonly messageId: string;
  readonly from: string | undefined;
  readonly to: string[];
  readonly configurationSetName?: string;
  /** The raw MIME message as sent (Content.Raw.Data, base64-decoded). */
  readonly raw: Buffer;
}

export interface SesStandIn {
  /** `http://127.0.0.1:PORT` — give it to the SESv2Client as `endpoint`. */
  readonly endpoint: string;
  sent(): ReadonlyArray<SesSentEmail>;
  /** SendEmail requests received, accepted or not. */
  attempts(): number;
  stop(): Promise<void>;
}

export interface SesStandInOptions {
  /** A MessageRejected reason for this recipient, or undefined to accept. */
  readonly reject?: (to: string) => string | undefined;
  /** Answer the first N SendEmail requests with 429 TooManyRequestsException. */
  readonly throttle?: number;
}

const sendEmailBody = z.object({
  FromEmailAddress: z.string().optional(),
  Destination: z.object({
    ToAddresses: z.array(z.string()).optional(),
    CcAddresses: z.array(z.string()).optional(),
    BccAddresses: z.array(z.string()).optional(),
  }).optional(),
  Content: z.object({
    Raw: z.object({ Data: z.base64() }).optional(),
    Simple: z.unknown().optional(),
    Template: z.unknown().optional(),
  }),
  ConfigurationSetName: z.string().optional(),
});

/**
 * An SES v2 stand-in on 127.0.0.1: `SendEmail` (`POST /v2/email/outbound-emails`, REST-JSON)
 * with raw content, storing the MIME it receives. Errors are REST-JSON errors as the SDK parses
 * them: the `x-amzn-ErrorType` header (`Name:namespace`) and a `{ "message" }` body, with the
 * status SES v2's model gives each (MessageRejected 400, TooManyRequestsException 429).
 */
export async function startSesStandIn(options: SesStandInOptions = {}): Promise<SesStandIn> {
  const sent: SesSentEmail[] = [];
  let attempts = 0;

  const server = await listenOnLoopback(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (request.method !== 'POST' || path !== '/v2/email/outbound-emails') {
      sendError(response, 404, 'NotFoundException', `the SES stand-in has no ${request.method} ${path}`);
      return;
    }
    if (!isSigned(request)) {
      sendError(response, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      return;
    }
    attempts += 1;
    const parsed = sendEmailBody.safeParse(safeJson(await readBody(request, 50_000_000)));
    if (!parsed.success) {
      sendError(response, 400, 'BadRequestException', `invalid SendEmail request: ${parsed.error.issues[0]?.message ?? 'unreadable body'}`);
      return;
    }
    const body = parsed.data;
    if (body.Content.Raw === undefined) {
      sendError(response, 400, 'BadRequestException', 'the SES stand-in only accepts raw content');
      return;
    }
    if (attempts <= (options.throttle ?? 0)) {
      sendError(response, 429, 'TooManyRequestsException', 'Maximum sending rate exceeded.');
      return;
    }
    const to = body.Destination?.ToAddresses ?? [];
    for (const recipient of to) {
      const reason = options.reject?.(recipient);
      if (reason !== undefined) {
        sendError(response, 400, 'MessageRejected', reason);
        return;
      }
    }
    const messageId = `0100019a${randomUUID().replace(/-/g, '').slice(0, 8)}-${randomUUID()}-000000`;
    sent.push({
      messageId,
      from: body.FromEmailAddress,
      to,
      ...(body.ConfigurationSetName === undefined ? {} : { configurationSetName: body.ConfigurationSetName }),
      raw: Buffer.from(body.Content.Raw.Data, 'base64'),
    });
    sendJson(response, 200, { MessageId: messageId });
  });

  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    sent: () => [...sent],
    attempts: () => attempts,
    stop: () => server.stop(),
  };
}

function isSigned(request: IncomingMessage): boolean {
  return (request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  sendJson(response, status, { message }, { 'x-amzn-ErrorType': `${type}:http://internal.amazon.com/coral/com.amazonaws.sesv2/` });
}
