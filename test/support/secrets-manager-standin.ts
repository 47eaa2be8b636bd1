import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { listenOnLoopback, readBody } from '../../connectors/sandbox-kit/http.ts';

export interface SecretsManagerStandIn {
  /** `http://127.0.0.1:PORT` — give it to the SecretsManagerClient as `endpoint`. */
  readonly endpoint: string;
  /** The SecretIds asked for, in order (denied and missing ones too). */
  requests(): string[];
  stop(): Promise<void>;
}

export interface SecretsManagerStandInOptions {
  /** SecretIds the caller may not read: AccessDeniedException, as IAM answers. */
  readonly denied?: readonly string[];
  /** Secrets stored as SecretBinary instead of SecretString. */
  readonly binary?: Readonly<Record<string, Uint8Array>>;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const getSecretValueBody = z.object({ SecretId: z.string().min(1), VersionId: z.string().optional(), VersionStage: z.string().optional() });

/**
 * A Secrets Manager stand-in on 127.0.0.1 speaking AWS JSON 1.1 (`POST /`,
 * `X-Amz-Target: secretsmanager.GetSecretValue`). Errors are `{ "__type", "Message" }` bodies with
 * HTTP 400, as Secrets Manager sends them (its model names the member `Message`; the SDK reads
 * `message` or `Message`).
 */
export async function startSecretsManagerStandIn(
  secrets: Readonly<Record<string, string>>,
  options: SecretsManagerStandInOptions = {},
): Promise<SecretsManagerStandIn> {
  const requests: string[] = [];
  const denied = new Set(options.denied ?? []);
  const createdDate = Date.UTC(2026, 10, 1) / 1000;

  const server = await listenOnLoopback(async (request, response) => {
    if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://127.0.0.1').pathname !== '/') {
      sendError(response, 404, 'UnknownOperationException', undefined);
      return;
    }
    if (!isSigned(request)) {
      sendError(response, 400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      return;
    }
    const target = request.headers['x-amz-target'];
    if (target !== 'secretsmanager.GetSecretValue') {
      sendError(response, 400, 'UnknownOperationException', undefined);
      return;
    }
    const parsed = getSecretValueBody.safeParse(safeJson(await readBody(request)));
    if (!parsed.success) {
      sendError(response, 400, 'InvalidParameterException', 'You must provide a valid SecretId.');
      return;
    }
    const secretId = parsed.data.SecretId;
    requests.push(secretId);
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${secretId}-AbCdEf`;
    if (denied.has(secretId)) {
      sendError(response, 400, 'AccessDeniedException',
        `User: arn:aws:sts::${ACCOUNT}:assumed-role/kpi-notify-role/kpi-notify is not authorized to perform: ` +
        `secretsmanager:GetSecretValue on resource: ${secretId} because no identity-based policy allows the secretsmanager:GetSecretValue action`);
      return;
    }
    const text = secrets[secretId];
    const binary = options.binary?.[secretId];
    if (text === undefined && binary === undefined) {
      sendError(response, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return;
    }
    sendJson(response, 200, {
      ARN: arn,
      Name: secretId,
      ...(text === undefined ? {} : { SecretString: text }),
      ...(binary === undefined ? {} : { SecretBinary: Buffer.from(binary).toString('base64') }),
      VersionId: '3f1c7a52-0c4e-4d5b-9a8e-7e2b6f0d1c2a',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: createdDate,
    });
  });

  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    requests: () => [...requests],
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

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': String(Buffer.byteLength(text)),
    'x-amzn-RequestId': randomUUID(),
  });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, type: string, message: string | undefined): void {
  sendJson(response, status, { __type: type, ...(message === undefined ? {} : { Message: message }) });
}
