import { z } from 'zod';

/**
 * Meta's rate-limit signals, read from response headers (pure functions; the client applies them).
 *
 * - `X-Business-Use-Case-Usage`: `{"<ad account id>": [{"type": "ads_insights", "call_count": 28,
 *   "total_cputime": 25, "total_time": 25, "estimated_time_to_regain_access": 0}]}` — percentages,
 *   and the wait in MINUTES until a throttled business use case works again.
 * - `x-fb-ads-insights-throttle`: `{"app_id_util_pct": 12.5, "acc_id_util_pct": 3.1}` — percentages.
 * - `X-Ad-Account-Usage`: `{"acc_id_util_pct": 9.67, "reset_time_duration": 100}` — a percentage and
 *   the SECONDS until the ad account's score is back at zero (documented for older Ads API calls).
 * - `X-App-Usage`: `{"call_count", "total_cputime", "total_time"}` — percentages.
 */

export interface MetaUsage {
  /** The highest utilisation percentage any header reported, if any did. */
  readonly highestPercent: number | undefined;
  /** The longest wait any header hinted (minutes or seconds, converted), if any hinted a positive one. */
  readonly hintedWaitMs: number | undefined;
}

const Percent = z.number().finite().nonnegative();

const BusinessUseCaseUsage = z.record(z.string(), z.array(z.object({
  type: z.string().optional(),
  call_count: Percent.optional(),
  total_cputime: Percent.optional(),
  total_time: Percent.optional(),
  estimated_time_to_regain_access: Percent.optional(),
}).loose()));

const InsightsThrottle = z.object({ app_id_util_pct: Percent.optional(), acc_id_util_pct: Percent.optional() }).loose();
const AdAccountUsage = z.object({ acc_id_util_pct: Percent.optional(), reset_time_duration: Percent.optional() }).loose();
const AppUsage = z.object({ call_count: Percent.optional(), total_cputime: Percent.optional(), total_time: Percent.optional() }).loose();

function parseHeader<T>(value: string | null | undefined, schema: z.ZodType<T>): T | undefined {
  if (!value) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // A malformed usage header must never fail a call that otherwise succeeded.
    return undefined;
  }
}

function highest(values: readonly (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length === 0 ? undefined : Math.max(...present);
}

/** Reads every usage header Meta sent with one response. */
export function readUsage(header: (name: string) => string | null | undefined): MetaUsage {
  const buc = parseHeader(header('x-business-use-case-usage'), BusinessUseCaseUsage);
  const insights = parseHeader(header('x-fb-ads-insights-throttle'), InsightsThrottle);
  const account = parseHeader(header('x-ad-account-usage'), AdAccountUsage);
  const app = parseHeader(header('x-app-usage'), AppUsage);
  const bucEntries = Object.values(buc ?? {}).flat();

  const highestPercent = highest([
    ...bucEntries.flatMap((e) => [e.call_count, e.total_cputime, e.total_time]),
    insights?.app_id_util_pct, insights?.acc_id_util_pct,
    account?.acc_id_util_pct,
    app?.call_count, app?.total_cputime, app?.total_time,
  ]);
  const waits = [
    ...bucEntries.map((e) => (e.estimated_time_to_regain_access ?? 0) * 60_000),
    (account?.reset_time_duration ?? 0) * 1000,
  ].filter((ms) => ms > 0);
  return { highestPercent, hintedWaitMs: waits.length === 0 ? undefined : Math.max(...waits) };
}

export interface ThrottlePolicy {
  /** Wait when a throttling error hints nothing (or 0). */
  readonly fallbackWaitMs: number;
}

/** How long to wait after a throttling error: Meta's own hint when it gave one, else the fallback. */
export function throttleWaitMs(usage: MetaUsage, policy: ThrottlePolicy): number {
  return usage.hintedWaitMs ?? policy.fallbackWaitMs;
}

/** Graph API error codes that mean "too many calls: wait and retry" (not 32, which is the Pages API's). */
export function isRateLimitCode(code: number | undefined): boolean {
  return code === 4 || code === 17 || code === 613 || (code !== undefined && code >= 80000 && code <= 80014);
}
