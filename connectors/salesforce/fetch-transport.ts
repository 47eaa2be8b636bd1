import { PassThrough } from 'node:stream';

/**
 * The HTTP transport the Salesforce client hands jsforce (as `Connection._transport`, which its
 * HttpApi, OAuth2 and SOAP login use): Node's fetch, one attempt, the whole body read before the
 * promise settles, and every failure surfaced as a TransportError.
 *
 * Why not jsforce's own: its lib/request.js pipes the response body with `res.body.pipe(output)`,
 * which does not pass on the body's errors, so a connection dropped after the headers leaves the
 * call pending for ever (no timeout applies once the headers are in). jsforce's documented hook for
 * this is the transport: `httpRequest(request, options)` returning a promise of
 * `{ statusCode, headers, body }` with a `stream()` method. Error bodies, JSON parsing and the bearer
 * header stay jsforce's.
 *
 * Also: a call that receives nothing (no headers, no body bytes) for `idleTimeoutMs` is aborted,
 * so a server that stalls mid-body fails the call instead of holding the run until the Lambda's
 * timeout. The limit is on silence, not on the whole download, so a large Bulk page on a slow
 * link is never cut.
 *
 * Not supported (nothing here needs them): streamed request bodies and HTTP(S)_PROXY (jsforce's
 * default transport reads those variables; Node's fetch does not).
 */

/** What jsforce passes a transport (its HttpRequest type, the parts used here). */
export interface TransportRequest {
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** What jsforce expects back (its HttpResponse type): header names in lower case. */
export interface TransportResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The call never got a whole answer: no connection, a dropped connection or silence past the idle limit. */
export class TransportError extends Error {
  /** ECONNREFUSED, UND_ERR_SOCKET, ETIMEDOUT…, when known. */
  readonly code: string | undefined;
  /** The status of the headers already received, when the body is what failed. */
  readonly status: number | undefined;
  constructor(message: string, options: { cause?: unknown; code?: string | undefined; status?: number | undefined }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TransportError';
    this.code = options.code;
    this.status = options.status;
  }
}

/** A promise that also has the `stream()` jsforce's HttpApi asks every transport for. */
export type TransportPromise = Promise<TransportResponse> & { stream(): PassThrough };

export interface FetchTransportOptions {
  /** Abort a call after this long without receiving anything. */
  readonly idleTimeoutMs: number;
  /** Told every whole answer before jsforce sees it (the login reads the token endpoint's status and body here). */
  readonly onResponse?: (response: TransportResponse, request: TransportRequest) => void;
}

export class FetchTransport {
  readonly #options: FetchTransportOptions;

  constructor(options: FetchTransportOptions) {
    this.#options = options;
  }

  httpRequest(request: TransportRequest): TransportPromise {
    const promise = this.#request(request);
    // Nothing in the connector streams a response: the body comes with the promise. An ended stream
    // tells anyone who asks for one that there is nothing more to read.
    return Object.assign(promise, { stream: () => new PassThrough().end() });
  }

  async #request(request: TransportRequest): Promise<TransportResponse> {
    const where = `${request.method} ${withoutQuery(request.url)}`;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let status: number | undefined;
    const idle = () => new TransportError(`${where}: nothing received for ${seconds(this.#options.idleTimeoutMs)}${status === undefined ? '' : ` after HTTP ${status} headers`}`, {
      code: 'ETIMEDOUT', status,
    });
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(idle()), this.#options.idleTimeoutMs);
    };
    arm();
    try {
      let answer: Response;
      try {
        answer = await fetch(request.url, {
          method: request.method, headers: headersOf(request.headers), signal: controller.signal,
          ...(request.body === undefined || request.body === null ? {} : { body: bodyOf(request.body) }),
        });
      } catch (error) {
        throw failure(error, controller.signal, `${where}: no answer`);
      }
      status = answer.status;
      const headers: Record<string, string> = {};
      answer.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
      const chunks: Uint8Array[] = [];
      try {
        if (answer.body) {
          const reader = answer.body.getReader();
          for (;;) {
            arm();
            const { done, value } = await reader.read();
            if (done) break;
            chunks.push(value);
          }
        }
      } catch (error) {
        throw failure(error, controller.signal, `${where}: the connection dropped after HTTP ${status} headers, mid-body`, status);
      }
      const response: TransportResponse = { statusCode: answer.status, headers, body: Buffer.concat(chunks).toString('utf8') };
      this.#options.onResponse?.(response, request);
      return response;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Our own idle abort as is; fetch's network errors ("fetch failed", "terminated") with their socket cause and code. */
function failure(error: unknown, signal: AbortSignal, what: string, status?: number): TransportError {
  if (signal.aborted && signal.reason instanceof TransportError) return signal.reason;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const detail = typeof cause?.message === 'string' && cause.message !== '' ? cause.message : (error as Error | null)?.message ?? String(error);
  return new TransportError(`${what} (${detail}${code && !detail.includes(code) ? `, ${code}` : ''})`, { cause: error, code, status });
}

function headersOf(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  // fetch computes Content-Length itself (jsforce sets one for request bodies).
  for (const [name, value] of Object.entries(headers ?? {})) if (name.toLowerCase() !== 'content-length') out[name] = value;
  return out;
}

function bodyOf(body: unknown): string | Uint8Array | URLSearchParams {
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof URLSearchParams) return body;
  throw new TypeError('the Salesforce transport sends text, bytes or form parameters as a request body, not streams or multipart forms');
}

/** URLs carry SOQL in their query: keep messages to the endpoint. */
export function withoutQuery(url: string): string {
  const cut = url.indexOf('?');
  return cut < 0 ? url : url.slice(0, cut);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
