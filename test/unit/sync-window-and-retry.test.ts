import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { endOfMonth, isIsoDate, startOfIsoWeek, todayIn } from '../../core/dates.ts';
import type { StreamState } from '../../core/lake/state-store.ts';
import { parseRetryAfter, withRetry, type RetryDecision, type RetryPolicy } from '../../core/retry.ts';
import { planSyncWindow } from '../../core/sync/sync-window.ts';

function state(cursor: string): StreamState {
  return { version: 1, cursor, firstDate: '2026-08-24', updatedAt: '2026-11-22T01:00:00.000Z' };
}

describe('planSyncWindow', () => {
  it('first run: reads from initialFrom to the last complete day', () => {
    // Prepare
    const options = { state: undefined, lookbackDays: 3, initialFrom: '2026-08-24', lastCompleteDay: '2026-11-21' };
    // Act
    const window = planSyncWindow(options);
    // Assess
    expect(window).toEqual({ from: '2026-08-24', to: '2026-11-21' });
  });

  it('next run: reads from cursor − lookback + 1 (re-reads the last 3 days)', () => {
    // Prepare
    const options = { state: state('2026-11-21'), lookbackDays: 3, initialFrom: '2026-08-24', lastCompleteDay: '2026-11-22' };
    // Act
    const window = planSyncWindow(options);
    // Assess
    expect(window).toEqual({ from: '2026-11-19', to: '2026-11-22' });
  });

  it('next run across a month end', () => {
    // Prepare
    const options = { state: state('2026-12-01'), lookbackDays: 3, initialFrom: '2026-08-24', lastCompleteDay: '2026-12-02' };
    // Act
    const window = planSyncWindow(options);
    // Assess
    expect(window).toEqual({ from: '2026-11-29', to: '2026-12-02' });
  });

  it('a backfill range overrides the cursor and the last complete day', () => {
    // Prepare
    const options = {
      state: state('2026-11-21'), lookbackDays: 3, initialFrom: '2026-08-24', lastCompleteDay: '2026-11-22',
      backfill: { from: '2025-01-01', to: '2025-01-31' },
    };
    // Act
    const window = planSyncWindow(options);
    // Assess
    expect(window).toEqual({ from: '2025-01-01', to: '2025-01-31' });
  });

  it('a backfill with only a start reads up to the last complete day', () => {
    // Prepare
    const options = { state: state('2026-11-21'), lookbackDays: 3, initialFrom: '2026-08-24', lastCompleteDay: '2026-11-22', backfill: { from: '2026-06-01' } };
    // Act
    const window = planSyncWindow(options);
    // Assess
    expect(window).toEqual({ from: '2026-06-01', to: '2026-11-22' });
  });

  it('nothing to do: undefined', () => {
    // Prepare: a first run that starts after the last complete day, and a cursor far ahead of it
    const firstRun = { state: undefined, lookbackDays: 3, initialFrom: '2026-11-23', lastCompleteDay: '2026-11-22' };
    const ahead = { state: state('2026-11-30'), lookbackDays: 3, initialFrom: '2026-08-24', lastCompleteDay: '2026-11-22' };
    const emptyBackfill = { ...ahead, state: undefined, backfill: { from: '2026-02-01', to: '2026-01-31' } };
    // Act
    const windows = [planSyncWindow(firstRun), planSyncWindow(ahead), planSyncWindow(emptyBackfill)];
    // Assess
    expect(windows).toEqual([undefined, undefined, undefined]);
  });

  it('a one-day window when the first run starts on the last complete day', () => {
    // Prepare
    const options = { state: undefined, lookbackDays: 3, initialFrom: '2026-11-22', lastCompleteDay: '2026-11-22' };
    // Act
    const window = planSyncWindow(options);
    // Assess
    expect(window).toEqual({ from: '2026-11-22', to: '2026-11-22' });
  });
});

class Retryable extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}
class Fatal extends Error {}

const classify = (error: unknown): RetryDecision =>
  error instanceof Retryable
    ? { retryable: true, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) }
    : { retryable: false };

const policy: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxTotalWaitMs: 10_000 };

/** An operation that fails with the given errors in turn, then returns 'done'. */
function failing(...errors: Error[]): { operation: (attempt: number) => Promise<string>; attempts: number[] } {
  const attempts: number[] = [];
  return {
    attempts,
    operation: async (attempt) => {
      attempts.push(attempt);
      const error = errors[attempts.length - 1];
      if (error) throw error;
      return 'done';
    },
  };
}

describe('withRetry', () => {
  const delays: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    delays.push(ms);
  };

  beforeEach(() => {
    delays.length = 0;
    // Full jitter: random() × backoff. Half of the backoff keeps the delays exact.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('retries retryable errors with exponential backoff and returns the result', async () => {
    // Prepare
    const { operation, attempts } = failing(new Retryable('503'), new Retryable('503'), new Retryable('503'));
    const retries: Array<[string, number, number]> = [];
    // Act
    const result = await withRetry(operation, classify, {
      policy, sleep, onRetry: (error, delay, attempt) => retries.push([(error as Error).message, delay, attempt]),
    });
    // Assess
    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(delays).toEqual([50, 100, 200]);
    expect(retries).toEqual([['503', 50, 1], ['503', 100, 2], ['503', 200, 3]]);
  });

  it('caps each backoff at maxDelayMs', async () => {
    // Prepare: backoffs 100·2^(n−1) ms reach the 300 ms cap on the third retry
    const capped: RetryPolicy = { ...policy, attempts: 6, maxDelayMs: 300 };
    const { operation } = failing(...Array.from({ length: 5 }, () => new Retryable('503')));
    // Act
    const result = await withRetry(operation, classify, { policy: capped, sleep });
    // Assess
    expect(result).toBe('done');
    expect(delays).toEqual([50, 100, 150, 150, 150]);
  });

  it('stops after `attempts` tries and throws the last error', async () => {
    // Prepare
    const last = new Retryable('fourth');
    const { operation, attempts } = failing(new Retryable('first'), new Retryable('second'), new Retryable('third'), last, new Retryable('fifth'));
    // Act
    const result = withRetry(operation, classify, { policy, sleep });
    // Assess
    await expect(result).rejects.toBe(last);
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(delays).toEqual([50, 100, 200]);
  });

  it('never retries a non-retryable error', async () => {
    // Prepare
    const fatal = new Fatal('401');
    const { operation, attempts } = failing(fatal);
    const onRetry = vi.fn();
    // Act
    const result = withRetry(operation, classify, { policy, sleep, onRetry });
    // Assess
    await expect(result).rejects.toBe(fatal);
    expect(attempts).toEqual([1]);
    expect(delays).toEqual([]);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('stops at a non-retryable error after retryable ones', async () => {
    // Prepare
    const fatal = new Fatal('400');
    const { operation, attempts } = failing(new Retryable('503'), fatal);
    // Act
    const result = withRetry(operation, classify, { policy, sleep });
    // Assess
    await expect(result).rejects.toBe(fatal);
    expect(attempts).toEqual([1, 2]);
    expect(delays).toEqual([50]);
  });

  it('honours retryAfterMs as a minimum delay', async () => {
    // Prepare: the server asks for 700 ms, then for less than the backoff (10 ms)
    const { operation } = failing(new Retryable('429', 700), new Retryable('429', 10));
    // Act
    const result = await withRetry(operation, classify, { policy, sleep });
    // Assess
    expect(result).toBe('done');
    expect(delays).toEqual([700, 100]);
  });

  it("waits the server's full hint even when it is longer than maxDelayMs", async () => {
    // Prepare: Retry-After 3 s with maxDelayMs 1 s (retrying sooner would only burn an attempt)
    const { operation } = failing(new Retryable('429', 3000));
    // Act
    const result = await withRetry(operation, classify, { policy, sleep });
    // Assess
    expect(result).toBe('done');
    expect(delays).toEqual([3000]);
  });

  it('gives up when the total wait would pass maxTotalWaitMs', async () => {
    // Prepare: waits 50 + 100 = 150 ms; the next 200 ms would make 350 > 300
    const short: RetryPolicy = { ...policy, attempts: 10, maxTotalWaitMs: 300 };
    const third = new Retryable('third');
    const { operation, attempts } = failing(new Retryable('first'), new Retryable('second'), third, new Retryable('fourth'));
    // Act
    const result = withRetry(operation, classify, { policy: short, sleep });
    // Assess
    await expect(result).rejects.toBe(third);
    expect(attempts).toEqual([1, 2, 3]);
    expect(delays).toEqual([50, 100]);
  });

  it('gives up at once when the server asks for more than maxTotalWaitMs', async () => {
    // Prepare
    const short: RetryPolicy = { ...policy, maxTotalWaitMs: 500 };
    const error = new Retryable('429', 800);
    const { operation, attempts } = failing(error);
    // Act
    const result = withRetry(operation, classify, { policy: short, sleep });
    // Assess
    await expect(result).rejects.toBe(error);
    expect(attempts).toEqual([1]);
    expect(delays).toEqual([]);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds', () => {
    // Prepare / Act
    const values = [parseRetryAfter('120'), parseRetryAfter('0'), parseRetryAfter('1.5')];
    // Assess
    expect(values).toEqual([120_000, 0, 1500]);
  });

  it('reads an HTTP date relative to now, and 0 for a date in the past', () => {
    // Prepare
    const now = Date.parse('Sun, 22 Nov 2026 07:28:00 GMT');
    // Act
    const ahead = parseRetryAfter('Sun, 22 Nov 2026 07:28:30 GMT', now);
    const past = parseRetryAfter('Sun, 22 Nov 2026 07:27:00 GMT', now);
    // Assess
    expect(ahead).toBe(30_000);
    expect(past).toBe(0);
  });

  it('gives undefined for garbage, empty and missing values', () => {
    // Prepare / Act
    const values = [parseRetryAfter('soon'), parseRetryAfter('in 5 minutes'), parseRetryAfter(''), parseRetryAfter(' '), parseRetryAfter('0x10'), parseRetryAfter(null), parseRetryAfter(undefined)];
    // Assess
    expect(values).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('never gives a negative wait', () => {
    // Prepare / Act
    const value = parseRetryAfter('-5');
    // Assess
    expect(value).toBe(0);
  });
});

describe('dates', () => {
  it('startOfIsoWeek: a Sunday belongs to the week that started the Monday before', () => {
    // Prepare: 2026-11-22 is a Sunday
    const sunday = '2026-11-22';
    // Act
    const start = startOfIsoWeek(sunday);
    // Assess
    expect(new Date(`${sunday}T00:00:00Z`).getUTCDay()).toBe(0);
    expect(start).toBe('2026-11-16');
  });

  it('startOfIsoWeek: a Monday starts its own week', () => {
    // Prepare
    const monday = '2026-11-23';
    // Act
    const start = startOfIsoWeek(monday);
    // Assess
    expect(start).toBe('2026-11-23');
  });

  it('startOfIsoWeek across a year end', () => {
    // Prepare: Friday 2027-01-01
    // Act
    const start = startOfIsoWeek('2027-01-01');
    // Assess
    expect(start).toBe('2026-12-28');
  });

  it('endOfMonth: February of a leap year has 29 days, of other years 28', () => {
    // Prepare / Act
    const ends = [endOfMonth('2028-02-10'), endOfMonth('2024-02-01'), endOfMonth('2026-02-14'), endOfMonth('2026-12-31')];
    // Assess
    expect(ends).toEqual(['2028-02-29', '2024-02-29', '2026-02-28', '2026-12-31']);
  });

  it('isIsoDate rejects 2026-02-30 and other non-dates', () => {
    // Prepare
    const texts = ['2026-02-30', '2026-13-01', '2026-1-01', '20261122', '2026-11-22T00:00:00Z', ''];
    // Act
    const results = texts.map(isIsoDate);
    // Assess
    expect(results).toEqual([false, false, false, false, false, false]);
    expect(isIsoDate('2028-02-29')).toBe(true);
  });

  it("todayIn('Asia/Seoul') at 15:30 UTC is already the next day", () => {
    // Prepare
    const now = new Date('2026-11-22T15:30:00Z');
    // Act
    const seoul = todayIn('Asia/Seoul', now);
    const utc = todayIn('UTC', now);
    const newYork = todayIn('America/New_York', new Date('2026-11-23T03:00:00Z'));
    // Assess
    expect(seoul).toBe('2026-11-23');
    expect(utc).toBe('2026-11-22');
    expect(newYork).toBe('2026-11-22');
  });
});
