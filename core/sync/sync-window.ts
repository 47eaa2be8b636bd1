import { addDays } from '../dates.ts';
import type { DateWindow } from '../connector.ts';
import type { StreamState } from '../lake/state-store.ts';

/**
 * Which dates a run reads: an explicit backfill range when given; otherwise from the cursor minus
 * the lookback (vendors revise recent days), or from the initial start on the first run; up to the
 * last complete day. Undefined when there is nothing to read.
 */
export function planSyncWindow(options: {
  readonly state: StreamState | undefined;
  readonly lookbackDays: number;
  readonly initialFrom: string;
  readonly lastCompleteDay: string;
  readonly backfill?: Partial<DateWindow>;
}): DateWindow | undefined {
  const { state, lookbackDays, initialFrom, lastCompleteDay, backfill } = options;
  const to = backfill?.to ?? lastCompleteDay;
  // The lookback never reaches before the first day ever written: a first sync cut short re-reads
  // its own days, not days a clean run would never have read.
  const lookbackFrom = state ? addDays(state.cursor, 1 - Math.max(1, lookbackDays)) : initialFrom;
  const from = backfill?.from ?? (state?.firstDate && state.firstDate > lookbackFrom ? state.firstDate : lookbackFrom);
  return from <= to ? { from, to } : undefined;
}
