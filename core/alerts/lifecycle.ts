import type { NotificationReason } from './notification.ts';
import type { AlertKeyState, AlertStatus, LiveAlertStatus } from './alert-state.ts';
import type { AlertAcknowledgement, AlertSnooze } from './config.ts';

/**
 * One alert key's lifecycle, as a pure function of its previous state and what the rule sees now:
 *
 *   ok ──breaching──► pending ──confirmed (M of N)──► firing ──cleared (hysteresis)──► resolved ──► ok
 *    └──────────────────confirmed─────────────────────┘   │ repeat every N hours, unless acknowledged
 *   any ──source late──► stale ──on time again──► back where it was
 *
 * Notifications happen on transitions only: 'firing' once per episode, 'repeat' while firing at
 * the interval, 'resolved' once. A snooze keeps the state and the events going but sends nothing.
 * The same snapshot date evaluated again (a rerun) changes nothing and notifies nothing.
 */

/** What a rule says about the latest period, reduced to what the lifecycle needs. */
export interface AlertSignal {
  /** The latest period has a value over the volume gate. */
  readonly judged: boolean;
  /** The latest period is on the wrong side. */
  readonly breaching: boolean;
  /** Enough to fire: M of the last N periods, the anomaly, the change. */
  readonly confirmed: boolean;
  /** Past target ± margin on the good side: a firing alert resolves. */
  readonly cleared: boolean;
  /** Reminders make sense; false for a goal already missed at its deadline (nothing left to act on). */
  readonly remindable?: boolean;
}

export type AlertEventReason =
  | NotificationReason
  | 'pending' | 'recovered' | 'closed' | 'snoozed' | 'acknowledged' | 'stale' | 'fresh';

export interface LifecycleTransition {
  readonly from: AlertStatus;
  readonly to: AlertStatus;
  readonly reason: AlertEventReason;
  readonly notified: boolean;
  readonly detail: string;
}

export interface LifecycleInput {
  readonly previous: AlertKeyState | undefined;
  readonly signal: AlertSignal;
  /** The KPI's source is late: hold everything, notify nothing. */
  readonly stale: boolean;
  readonly snapshotDate: string;
  readonly now: Date;
  readonly repeatEveryHours: number;
  /** The snooze in force today, if any. */
  readonly snooze: AlertSnooze | undefined;
  /** Acknowledgements in the config that name this key (or its goal or rule). */
  readonly acknowledgements: readonly AlertAcknowledgement[];
  /** The period judged, kept in the state for the next run and the event table. */
  readonly observed: { readonly value: number | null; readonly periodStart: string | null; readonly periodEnd: string | null };
}

export interface LifecycleStep {
  readonly state: AlertKeyState;
  /** Events for table `alert_events`, in order. */
  readonly transitions: readonly LifecycleTransition[];
  /** What to tell the recipients, if anything. */
  readonly notification: NotificationReason | undefined;
  /** The snapshot date was already evaluated: nothing changed. */
  readonly rerun: boolean;
}

/**
 * Scheduled runs drift by minutes (a sync that took longer yesterday), so a reminder is due a
 * little before the exact interval: otherwise a daily digest would skip every other day.
 */
export function repeatTolerance(repeatEveryHours: number): number {
  return Math.min(0.5, repeatEveryHours * 0.05);
}

export function isRepeatDue(lastNotifiedAt: string | undefined, now: Date, repeatEveryHours: number): boolean {
  if (lastNotifiedAt === undefined) return true;
  const hours = (now.getTime() - Date.parse(lastNotifiedAt)) / 3_600_000;
  return hours >= repeatEveryHours - repeatTolerance(repeatEveryHours);
}

export function advanceAlert(input: LifecycleInput): LifecycleStep {
  const { previous, signal, snapshotDate, observed } = input;
  if (previous && previous.lastEvaluatedSnapshot >= snapshotDate) {
    return { state: previous, transitions: [], notification: undefined, rerun: true };
  }
  const nowIso = input.now.toISOString();
  const seen = {
    lastEvaluatedSnapshot: snapshotDate, lastValue: observed.value, lastPeriodStart: observed.periodStart, lastPeriodEnd: observed.periodEnd,
  };
  const start: AlertKeyState = { ...(previous ?? { status: 'ok', since: nowIso }), ...seen };
  const transitions: LifecycleTransition[] = [];

  if (input.stale) {
    if (start.status === 'stale') return { state: start, transitions, notification: undefined, rerun: false };
    const state: AlertKeyState = { ...start, status: 'stale', heldStatus: start.status, since: nowIso };
    transitions.push({ from: start.status, to: 'stale', reason: 'stale', notified: false, detail: 'the KPI’s source is late; alerts held until it is on time' });
    return { state, transitions, notification: undefined, rerun: false };
  }

  let state: AlertKeyState = start;
  if (start.status === 'stale') {
    const { heldStatus, ...rest } = start;
    state = { ...rest, status: heldStatus ?? 'ok', since: nowIso };
    transitions.push({ from: 'stale', to: state.status, reason: 'fresh', notified: false, detail: 'the KPI’s source is on time again' });
  }

  const move = (to: AlertStatus, reason: AlertEventReason, notified: boolean, detail: string) => {
    transitions.push({ from: state.status, to, reason, notified, detail });
    if (to !== state.status) state = { ...state, status: to, since: nowIso };
  };
  const notify = (reason: NotificationReason) => {
    state = { ...state, lastNotifiedAt: nowIso, lastNotification: reason };
    return reason;
  };
  const snoozedDetail = input.snooze ? `snoozed until ${input.snooze.until}${input.snooze.reason ? `: ${input.snooze.reason}` : ''}` : '';

  // Acknowledgements: one still in the config and not used up by an earlier episode.
  const configured = new Set(input.acknowledgements.map((a) => a.key));
  const spent = (state.spentAcknowledgements ?? []).filter((key) => configured.has(key));
  const available = input.acknowledgements.find((a) => !spent.includes(a.key));
  state = withoutEmpty({ ...state, spentAcknowledgements: spent });
  if (state.acknowledged && !configured.has(state.acknowledged.key)) state = dropKey(state, 'acknowledged');

  let notification: NotificationReason | undefined;
  const current = state.status as LiveAlertStatus;
  if (current !== 'firing') {
    if (signal.confirmed) {
      state = dropKey({ ...state, firingSince: nowIso, firingNotified: input.snooze === undefined }, 'acknowledged');
      if (input.snooze) {
        move('firing', 'snoozed', false, snoozedDetail);
      } else {
        move('firing', 'firing', true, 'confirmed');
        notification = notify('firing');
      }
    } else if (signal.breaching) {
      if (current !== 'pending') move('pending', 'pending', false, 'on the wrong side, not yet confirmed');
    } else if (current === 'resolved' || (current === 'pending' && signal.judged)) {
      move('ok', current === 'pending' ? 'recovered' : 'closed', false, current === 'pending' ? 'back on the good side before it was confirmed' : 'resolved earlier');
    }
  } else if (signal.cleared) {
    const tell = input.snooze === undefined && state.firingNotified === true;
    if (state.acknowledged) state = { ...dropKey(state, 'acknowledged'), spentAcknowledgements: [...spent, state.acknowledged.key] };
    state = { ...state, ...(observed.periodEnd === null ? {} : { resolvedPeriodEnd: observed.periodEnd }) };
    move('resolved', input.snooze ? 'snoozed' : 'resolved', tell,
      input.snooze ? snoozedDetail : tell ? 'cleared past the margin' : 'cleared; its firing was never notified, so no resolved notice');
    if (tell) notification = notify('resolved');
  } else if (input.snooze === undefined && signal.breaching) {
    if (state.firingNotified !== true) {
      state = { ...state, firingNotified: true };
      move('firing', 'firing', true, 'the snooze ended');
      notification = notify('firing');
    } else if (signal.remindable !== false && !state.acknowledged && !available && isRepeatDue(state.lastNotifiedAt, input.now, input.repeatEveryHours)) {
      move('firing', 'repeat', true, `still firing after ${input.repeatEveryHours} h`);
      notification = notify('repeat');
    }
  }
  // An acknowledgement applies to the episode firing now (also one that started this run).
  if (state.status === 'firing' && available && !state.acknowledged) {
    state = { ...state, acknowledged: { key: available.key, at: snapshotDate, ...(available.note ? { note: available.note } : {}) } };
    move('firing', 'acknowledged', false, available.note ?? 'acknowledged: no reminders until it resolves');
  }
  return { state: withoutEmpty(state), transitions, notification, rerun: false };
}

function dropKey<K extends keyof AlertKeyState>(state: AlertKeyState, key: K): AlertKeyState {
  const copy = { ...state };
  delete copy[key];
  return copy;
}

/** Keeps the stored object minimal: no empty lists. */
function withoutEmpty(state: AlertKeyState): AlertKeyState {
  return state.spentAcknowledgements !== undefined && state.spentAcknowledgements.length === 0 ? dropKey(state, 'spentAcknowledgements') : state;
}
