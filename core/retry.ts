/**
 * Retries with exponential backoff and full jitter, honouring a server's Retry-After, with a cap
 * on the total wait. The caller classifies errors: only what `retryable` says is retried.
 */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Stop retrying once this much time has been spent waiting. */
  readonly maxTotalWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxTotalWaitMs: 120_000 };

export interface RetryDecision {
  readonly retryable: boolean;
  /** The server's own hint (Retry-After, vendor header), in ms. */
  readonly retryAfterMs?: number;
}

export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  options: { policy?: RetryPolicy; onRetry?: (error: unknown, delayMs: number, attempt: number) => void; sleep?: (ms: number) => Promise<void> } = {},
): Promise<T> {
  const policy = options.policy ?? defaultRetryPolicy;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const decision = classify(error);
      if (!decision.retryable || attempt >= policy.attempts) throw error;
      const backoff = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      // The server's hint is a floor, even past maxDelayMs: retrying sooner only burns an attempt.
      const delay = Math.max(backoff, decision.retryAfterMs ?? 0);
      if (waited + delay > policy.maxTotalWaitMs) throw error;
      options.onRetry?.(error, delay, attempt);
      waited += delay;
      await sleep(delay);
    }
  }
}

/** Retry-After as seconds or an HTTP date → ms. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
