import type { IncomingMessage, ServerResponse } from 'node:http';
import { UsageError } from '../../core/errors.ts';
import { hash, mulberry32 } from './seeded-random.ts';

/**
 * A seeded, declarative fault plan for sandboxes, applied at the HTTP layer (listenOnLoopback), so
 * every sandbox gets the faults real APIs and the proxies in front of them produce:
 *
 * | kind          | what the client sees                                                              |
 * | ------------- | --------------------------------------------------------------------------------- |
 * | `<status>`    | that HTTP status (400–599) with a JSON error body; 429 and 503 carry `Retry-After` |
 * | `reset`       | the real status and headers, half of the body, then the connection is destroyed    |
 * | `truncate`    | the real status, a JSON body cut in half (matching Content-Length); other bodies: reset |
 * | `malformed`   | the real status, a proxy's HTML page instead of the JSON body                      |
 * | `slow`        | the real answer, after a delay                                                     |
 * | `fail-on`     | request number N (1-based, per server) gets a status (default 503) or a body fault |
 * | `expire`      | every request after the N-th answered 401: the token expired mid-sync              |
 *
 * Grammar (`parseFaultPlan`), comma-separated, spaces ignored:
 *
 *   plan   := item ("," item)*
 *   item   := STATUS ":" share ["@" duration]     429:0.1@2s  503:5%  500:0.05
 *           | "reset" ":" share | "truncate" ":" share | "malformed" ":" share
 *           | "slow" ":" share ["@" duration]      slow:0.05@200ms (default 200ms)
 *           | "fail-on" ":" N ["@" (STATUS | "reset" | "truncate" | "malformed" | "slow")]
 *                                                fail-on:3  fail-on:7@429  fail-on:4@reset (repeatable)
 *           | "expire" ":" N                       expire:40
 *           | "seed" ":" N                         seed:7 (default 1)
 *   share  := a fraction 0…1, or a percentage (10%)
 *   duration := N "ms" | N "s" (Retry-After is whole seconds; default 1s)
 *
 * Each request draws one number from a generator seeded by (seed, request number): the shares
 * are cumulative and exclusive (their sum is at most 1), so a request gets at most one random
 * fault, and the same seed and request order give the same faults. `fail-on` and `expire` are
 * checked first. Faults happen before the sandbox's own logic for status faults (the request
 * never reaches the vendor handler) and around it for body faults.
 *
 * Vendor-specific throttling stays with each sandbox's own options (its wire format is the point):
 * - GA4: `quota: { tokensPerDay, tokensPerHour }` → 429 RESOURCE_EXHAUSTED "Exhausted property tokens…",
 *   and `propertyQuota` in answers (the connector stops before its reserve);
 * - Google Ads: `throttle: { everyNthRequest, retryDelaySeconds }` → 429 quotaError.RESOURCE_TEMPORARILY_EXHAUSTED
 *   with `retryDelay`; `dailyOperations` → quotaError.RESOURCE_EXHAUSTED (no delay: the run stops);
 * - Meta: `throttle: { everyNthRequest, code: 80000 | 613 | 17 | 4, estimatedTimeToRegainAccessMinutes,
 *   resetTimeDurationSeconds }` with the usage headers, and `usagePercentPerRequest` (X-Business-Use-Case-Usage…);
 * - LinkedIn: `throttle: { everyNthRequest, retryAfterSeconds }` (429, no Retry-After unless asked),
 *   `dailyRequestLimit` (429 "APPLICATION DAY limit"), `expiredAccessTokens`;
 * - TikTok: `throttle: { everyNthRequest }` → code 40100 inside HTTP 200;
 * - Salesforce: `dailyApiLimit` / `setDailyApiLimit()` (403 REQUEST_LIMIT_EXCEEDED, Sforce-Limit-Info),
 *   `failNext()`, `expireSessionAfter()`.
 */

export type BodyFaultKind = 'reset' | 'truncate' | 'malformed' | 'slow';
/** A status code as text ('429', '503'…) or a body fault. */
export type RandomFaultKind = `${number}` | BodyFaultKind;
export type FaultKind = RandomFaultKind | 'fail-on' | 'expire';

export interface InjectedFault {
  readonly kind: FaultKind;
  /** The 1-based number of the request on its server. */
  readonly request: number;
  readonly method: string;
  readonly path: string;
  /** The status sent, for status faults. */
  readonly status?: number;
  /** The body fault, for body faults. */
  readonly body?: BodyFaultKind;
}

export interface FaultPlan {
  /** Seeds the per-request draws. */
  readonly seed: number;
  /** Share of requests (0…1) answered with each random fault; at most 1 in total. */
  readonly shares: Readonly<Partial<Record<RandomFaultKind, number>>>;
  /** `Retry-After` sent with 429 and 503 answers, whole seconds, per status; default 1. */
  readonly retryAfterSeconds?: Readonly<Partial<Record<string, number>>>;
  /** Delay of a `slow` answer; default 200 ms. */
  readonly slowMs?: number;
  /** Request numbers (1-based, per server) that fail: with a status, or a body fault (e.g. page 3 of a paged read). */
  readonly failOn?: readonly { readonly request: number; readonly fault: number | BodyFaultKind }[];
  /** Every request after this many is answered 401, as if the access token expired mid-sync. */
  readonly expireAfter?: number;
  /** Told about every fault injected (counting, logs). */
  readonly onFault?: (fault: InjectedFault) => void;
}

/** A fault plan that does not parse: a usage mistake (`kpi sandbox --faults …` exits 2 with the message). */
export class FaultPlanError extends UsageError {}

/** A plan that injects nothing: a sandbox given it ignores the process plan too. */
export const noFaults: FaultPlan = { seed: 0, shares: {} };

const bodyFaults: readonly BodyFaultKind[] = ['reset', 'truncate', 'malformed', 'slow'];
const defaultRetryAfterSeconds = 1;
const defaultSlowMs = 200;

/** Parses the grammar above; throws FaultPlanError naming the item that is wrong. */
export function parseFaultPlan(text: string): FaultPlan {
  let seed = 1;
  const shares: Partial<Record<RandomFaultKind, number>> = {};
  const retryAfterSeconds: Record<string, number> = {};
  const failOn: { request: number; fault: number | BodyFaultKind }[] = [];
  let slowMs: number | undefined;
  let expireAfter: number | undefined;
  const items = text.split(',').map((item) => item.replace(/\s+/g, '')).filter((item) => item !== '');
  if (items.length === 0) throw new FaultPlanError('the fault plan is empty; write e.g. 429:0.1,500:0.05,reset:0.02');
  for (const item of items) {
    const match = /^([a-z-]+|\d{3}):([^@]+)(?:@(.+))?$/.exec(item);
    if (!match) throw new FaultPlanError(`"${item}" is not a fault; write kind:value, e.g. 429:0.1@2s, reset:0.02, fail-on:3`);
    const [, kind, value, option] = match as unknown as [string, string, string, string | undefined];
    const bad = (why: string) => new FaultPlanError(`"${item}": ${why}`);
    if (/^\d{3}$/.test(kind)) {
      const status = Number(kind);
      if (status < 400 || status > 599) throw bad('a status fault must be 400…599');
      addShare(shares, kind as RandomFaultKind, parseShare(value, bad));
      if (option !== undefined) retryAfterSeconds[kind] = toSeconds(parseDuration(option, bad), bad);
    } else if ((bodyFaults as readonly string[]).includes(kind)) {
      addShare(shares, kind as BodyFaultKind, parseShare(value, bad));
      if (option !== undefined) {
        if (kind !== 'slow') throw bad(`${kind} takes no @option`);
        slowMs = parseDuration(option, bad);
      }
    } else if (kind === 'fail-on') {
      const request = parsePositiveInteger(value, bad);
      if (option !== undefined && (bodyFaults as readonly string[]).includes(option)) {
        failOn.push({ request, fault: option as BodyFaultKind });
      } else {
        const status = option === undefined ? 503 : Number(option);
        if (!/^\d{3}$/.test(option ?? '503') || status < 400 || status > 599) {
          throw bad('write fail-on:N, fail-on:N@STATUS (400…599) or fail-on:N@reset|truncate|malformed|slow');
        }
        failOn.push({ request, fault: status });
      }
    } else if (kind === 'expire') {
      if (option !== undefined) throw bad('expire takes no @option');
      expireAfter = parsePositiveInteger(value, bad);
    } else if (kind === 'seed') {
      if (!/^\d+$/.test(value)) throw bad('the seed is a whole number');
      seed = Number(value);
    } else {
      throw bad(`unknown fault "${kind}"; write a status (429, 500, 502, 503…), reset, truncate, malformed, slow, fail-on, expire or seed`);
    }
  }
  const total = Object.values(shares).reduce<number>((sum, share) => sum + (share ?? 0), 0);
  if (total > 1 + 1e-9) throw new FaultPlanError(`the shares add up to ${round(total)}; they must add up to at most 1`);
  return {
    seed, shares,
    ...(Object.keys(retryAfterSeconds).length > 0 ? { retryAfterSeconds } : {}),
    ...(slowMs === undefined ? {} : { slowMs }),
    ...(failOn.length > 0 ? { failOn } : {}),
    ...(expireAfter === undefined ? {} : { expireAfter }),
  };
}

/** The plan back in the grammar (for messages and logs). */
export function describeFaultPlan(plan: FaultPlan): string {
  const items: string[] = [];
  for (const [kind, share] of Object.entries(plan.shares)) {
    const retryAfter = plan.retryAfterSeconds?.[kind];
    items.push(`${kind}:${round(share!)}${retryAfter !== undefined ? `@${retryAfter}s` : kind === 'slow' && plan.slowMs !== undefined ? `@${plan.slowMs}ms` : ''}`);
  }
  for (const { request, fault } of plan.failOn ?? []) items.push(`fail-on:${request}${fault === 503 ? '' : `@${fault}`}`);
  if (plan.expireAfter !== undefined) items.push(`expire:${plan.expireAfter}`);
  items.push(`seed:${plan.seed}`);
  return items.join(',');
}

/** Decides the fault of each request; one per server (request numbers count per server). */
export interface FaultInjector {
  /**
   * Runs `handler` for one request under the plan: answers it with a fault instead, or lets the
   * handler answer and damages what it sends.
   */
  handle(request: IncomingMessage, response: ServerResponse, handler: () => Promise<void>): Promise<void>;
}

export function createFaultInjector(plan: FaultPlan): FaultInjector {
  let requests = 0;
  return {
    async handle(request, response, handler) {
      const number = ++requests;
      const fault = chooseFault(plan, number);
      if (!fault) return handler();
      const seen: InjectedFault = {
        kind: fault.kind, request: number, method: request.method ?? '', path: (request.url ?? '/').split('?')[0]!,
        ...(fault.status === undefined ? {} : { status: fault.status }),
        ...(fault.body === undefined ? {} : { body: fault.body }),
      };
      plan.onFault?.(seen);
      if (fault.status !== undefined) {
        sendFaultStatus(response, fault.status, fault.kind, plan);
        return;
      }
      if (fault.body === 'slow') {
        await new Promise<void>((resolve) => setTimeout(resolve, plan.slowMs ?? defaultSlowMs));
        return handler();
      }
      damageBody(response, fault.body!);
      return handler();
    },
  };
}

interface ChosenFault {
  readonly kind: FaultKind;
  readonly status?: number;
  /** The body fault (for fail-on@reset…; random body faults use `kind`). */
  readonly body?: BodyFaultKind;
}

/** The fault for request `number`, or undefined: fail-on and expire first, then one seeded draw. */
export function chooseFault(plan: FaultPlan, number: number): ChosenFault | undefined {
  const failOn = plan.failOn?.find((f) => f.request === number);
  if (failOn) return typeof failOn.fault === 'number' ? { kind: 'fail-on', status: failOn.fault } : { kind: 'fail-on', body: failOn.fault };
  if (plan.expireAfter !== undefined && number > plan.expireAfter) return { kind: 'expire', status: 401 };
  const draw = mulberry32(hash(`${plan.seed}|fault|${number}`))();
  let cumulative = 0;
  for (const [kind, share] of Object.entries(plan.shares) as [RandomFaultKind, number][]) {
    cumulative += share;
    if (draw < cumulative) return /^\d{3}$/.test(kind) ? { kind, status: Number(kind) } : { kind, body: kind as BodyFaultKind };
  }
  return undefined;
}

const statusNames: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 408: 'DEADLINE_EXCEEDED',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 502: 'BAD_GATEWAY', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

/** A status answer in the common `{ error: { code, message, status } }` shape; 429/503 with Retry-After. */
function sendFaultStatus(response: ServerResponse, status: number, kind: FaultKind, plan: FaultPlan): void {
  const why = kind === 'expire' ? 'the access token expired' : `HTTP ${status}`;
  const text = JSON.stringify({ error: { code: status, message: `Fault injected by the sandbox: ${why}.`, status: statusNames[status] ?? 'UNKNOWN' } });
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': String(Buffer.byteLength(text)) };
  if (status === 429 || status === 503) headers['Retry-After'] = String(plan.retryAfterSeconds?.[String(status)] ?? defaultRetryAfterSeconds);
  if (kind === 'expire') headers['WWW-Authenticate'] = 'Bearer error="invalid_token", error_description="The access token expired"';
  response.writeHead(status, headers);
  response.end(text);
}

/**
 * Lets the handler write its answer into a buffer, then sends it damaged:
 * - reset: the headers (with the full Content-Length) and half the body, then the socket is destroyed;
 * - truncate: a JSON body cut in half with a Content-Length that matches (a non-JSON body is reset instead,
 *   since a cut CSV or text body can be whole-looking);
 * - malformed: a proxy's HTML page in place of the body.
 */
function damageBody(response: ServerResponse, kind: 'reset' | 'truncate' | 'malformed'): void {
  const writeHead = response.writeHead.bind(response) as (status: number, headers?: Record<string, string | number | string[]>) => ServerResponse;
  const write = response.write.bind(response) as (chunk: Buffer, callback: () => void) => boolean;
  const end = response.end.bind(response) as (chunk?: Buffer) => ServerResponse;
  const chunks: Buffer[] = [];
  let status = 200;
  let headers: Record<string, string | number | string[]> = {};
  const toBuffer = (chunk: unknown): Buffer => (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array));
  response.writeHead = ((code: number, ...rest: unknown[]) => {
    status = code;
    const given = rest.find((value) => typeof value === 'object' && value !== null);
    if (given) headers = { ...(given as Record<string, string | number | string[]>) };
    return response;
  }) as ServerResponse['writeHead'];
  response.write = ((chunk: unknown, ...rest: unknown[]) => {
    chunks.push(toBuffer(chunk));
    const callback = rest.find((value) => typeof value === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as ServerResponse['write'];
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(toBuffer(chunk));
    const body = Buffer.concat(chunks);
    const contentType = String(headers['Content-Type'] ?? headers['content-type'] ?? response.getHeader('content-type') ?? '');
    const isJson = /json/i.test(contentType);
    delete headers['Content-Length'];
    delete headers['content-length'];
    response.removeHeader('content-length');
    if (kind === 'malformed') {
      const page = Buffer.from('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n');
      writeHead(status, { ...headers, 'Content-Length': String(page.length) });
      end(page);
    } else if (kind === 'truncate' && isJson && body.length > 1) {
      const half = body.subarray(0, Math.floor(body.length / 2));
      writeHead(status, { ...headers, 'Content-Length': String(half.length) });
      end(half);
    } else {
      // The full length is promised, half is sent, and the connection goes away.
      writeHead(status, { ...headers, 'Content-Length': String(Math.max(body.length, 1)) });
      write(body.subarray(0, Math.floor(body.length / 2)), () => response.destroy());
    }
    const callback = rest.find((value) => typeof value === 'function') as (() => void) | undefined;
    callback?.();
    return response;
  }) as ServerResponse['end'];
}

function addShare(shares: Partial<Record<RandomFaultKind, number>>, kind: RandomFaultKind, share: number): void {
  shares[kind] = (shares[kind] ?? 0) + share;
}

function parseShare(value: string, bad: (why: string) => FaultPlanError): number {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  const share = percent ? Number(percent[1]) / 100 : /^\d*\.?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(share >= 0 && share <= 1)) throw bad('the share is a fraction 0…1 or a percentage, e.g. 0.1 or 10%');
  return share;
}

function parseDuration(value: string, bad: (why: string) => FaultPlanError): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(value);
  if (!match) throw bad('write a duration as 200ms or 2s');
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

function toSeconds(ms: number, bad: (why: string) => FaultPlanError): number {
  if (ms % 1000 !== 0) throw bad('Retry-After is whole seconds, e.g. @2s');
  return ms / 1000;
}

function parsePositiveInteger(value: string, bad: (why: string) => FaultPlanError): number {
  if (!/^[1-9]\d*$/.test(value)) throw bad('write a request number from 1');
  return Number(value);
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

let processPlan: FaultPlan | undefined;

/**
 * The plan every sandbox started afterwards in this process uses when it is given none (the CLI's
 * `kpi sandbox --faults`); undefined turns it off. An explicit `faults` option always wins.
 */
export function setProcessFaultPlan(plan: FaultPlan | undefined): void {
  processPlan = plan;
}

export function processFaultPlan(): FaultPlan | undefined {
  return processPlan;
}
