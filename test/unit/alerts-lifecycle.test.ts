import { describe, expect, it } from 'vitest';
import type { AlertKeyState } from '../../core/alerts/alert-state.ts';
import { advanceAlert, type AlertSignal, type LifecycleInput } from '../../core/alerts/lifecycle.ts';

const breachingConfirmed: AlertSignal = { judged: true, breaching: true, confirmed: true, cleared: false };
const breachingOnly: AlertSignal = { judged: true, breaching: true, confirmed: false, cleared: false };
const inBand: AlertSignal = { judged: true, breaching: false, confirmed: false, cleared: false };
const cleared: AlertSignal = { judged: true, breaching: false, confirmed: false, cleared: true };
const notJudged: AlertSignal = { judged: false, breaching: false, confirmed: false, cleared: false };

const firedAt = '2026-11-20T22:00:00.000Z';

/** An alert that fired (and was notified) on the run of 2026-11-20 22:00 UTC. */
const firing: AlertKeyState = {
  status: 'firing', since: firedAt, firingSince: firedAt, firingNotified: true, lastNotifiedAt: firedAt, lastNotification: 'firing',
  lastEvaluatedSnapshot: '2026-11-20', lastValue: 1500, lastPeriodStart: '2026-11-20', lastPeriodEnd: '2026-11-20',
};

function input(fields: Partial<LifecycleInput> & Pick<LifecycleInput, 'signal'>): LifecycleInput {
  return {
    previous: undefined, stale: false, snapshotDate: '2026-11-21', now: new Date('2026-11-21T22:00:00Z'), repeatEveryHours: 24,
    snooze: undefined, acknowledgements: [], observed: { value: 1500, periodStart: '2026-11-21', periodEnd: '2026-11-21' },
    ...fields,
  };
}

describe('advanceAlert: ok → pending → firing', () => {
  it('a first breach that is not confirmed goes pending, without a notification', () => {
    // Prepare / Act
    const step = advanceAlert(input({ signal: breachingOnly }));
    // Assess
    expect(step.notification).toBeUndefined();
    expect(step.transitions).toEqual([{ from: 'ok', to: 'pending', reason: 'pending', notified: false, detail: 'on the wrong side, not yet confirmed' }]);
    expect(step.state).toStrictEqual({
      status: 'pending', since: '2026-11-21T22:00:00.000Z',
      lastEvaluatedSnapshot: '2026-11-21', lastValue: 1500, lastPeriodStart: '2026-11-21', lastPeriodEnd: '2026-11-21',
    });
  });

  it('pending → firing when confirmed: notifies firing once, with the episode start', () => {
    // Prepare
    const pending: AlertKeyState = { status: 'pending', since: firedAt, lastEvaluatedSnapshot: '2026-11-20', lastValue: 1900, lastPeriodStart: '2026-11-20', lastPeriodEnd: '2026-11-20' };
    // Act
    const step = advanceAlert(input({ previous: pending, signal: breachingConfirmed }));
    // Assess
    expect(step.notification).toBe('firing');
    expect(step.transitions).toEqual([{ from: 'pending', to: 'firing', reason: 'firing', notified: true, detail: 'confirmed' }]);
    expect(step.state).toMatchObject({ status: 'firing', firingSince: '2026-11-21T22:00:00.000Z', firingNotified: true, lastNotifiedAt: '2026-11-21T22:00:00.000Z' });
  });

  it('pending → ok when the next judged period is fine (recovered); a gated period keeps it pending', () => {
    // Prepare
    const pending: AlertKeyState = { status: 'pending', since: firedAt, lastEvaluatedSnapshot: '2026-11-20', lastValue: 1900, lastPeriodStart: '2026-11-20', lastPeriodEnd: '2026-11-20' };
    // Act
    const fine = advanceAlert(input({ previous: pending, signal: inBand }));
    const gated = advanceAlert(input({ previous: pending, signal: notJudged }));
    // Assess
    expect(fine.transitions).toEqual([{ from: 'pending', to: 'ok', reason: 'recovered', notified: false, detail: 'back on the good side before it was confirmed' }]);
    expect(gated.transitions).toEqual([]);
    expect(gated.state.status).toBe('pending');
  });
});

describe('advanceAlert: repeat while firing', () => {
  it('23 h after the last notification: nothing', () => {
    // Act
    const step = advanceAlert(input({ previous: firing, signal: breachingConfirmed, now: new Date('2026-11-21T21:00:00Z') }));
    // Assess
    expect(step.notification).toBeUndefined();
    expect(step.transitions).toEqual([]);
    expect(step.state.lastNotifiedAt).toBe(firedAt);
  });

  it('24 h after: repeat, and the reminder clock restarts', () => {
    // Act
    const step = advanceAlert(input({ previous: firing, signal: breachingConfirmed, now: new Date('2026-11-21T22:00:00Z') }));
    // Assess
    expect(step.notification).toBe('repeat');
    expect(step.transitions).toEqual([{ from: 'firing', to: 'firing', reason: 'repeat', notified: true, detail: 'still firing after 24 h' }]);
    expect(step.state).toMatchObject({ lastNotifiedAt: '2026-11-21T22:00:00.000Z', lastNotification: 'repeat', since: firedAt, firingSince: firedAt });
  });

  it('23 h 45 min after (a run a quarter hour early) still counts as the daily reminder', () => {
    // Act
    const step = advanceAlert(input({ previous: firing, signal: breachingConfirmed, now: new Date('2026-11-21T21:45:00Z') }));
    // Assess
    expect(step.notification).toBe('repeat');
  });

  it('no reminder while the value sits in the hysteresis band (met, not cleared): it stays firing silently', () => {
    // Act
    const step = advanceAlert(input({ previous: firing, signal: inBand, now: new Date('2026-11-22T22:00:00Z'), snapshotDate: '2026-11-22' }));
    // Assess
    expect(step.notification).toBeUndefined();
    expect(step.transitions).toEqual([]);
    expect(step.state.status).toBe('firing');
  });

  it('a goal missed at its deadline (not remindable) is not repeated', () => {
    // Act
    const step = advanceAlert(input({ previous: firing, signal: { ...breachingConfirmed, remindable: false }, now: new Date('2026-11-22T22:00:00Z') }));
    // Assess
    expect(step.notification).toBeUndefined();
  });
});

describe('advanceAlert: resolved exactly once', () => {
  it('firing → resolved notifies resolved; the next run closes it to ok without a notification', () => {
    // Act
    const resolved = advanceAlert(input({ previous: firing, signal: cleared }));
    const next = advanceAlert(input({ previous: resolved.state, signal: cleared, snapshotDate: '2026-11-22', now: new Date('2026-11-22T22:00:00Z') }));
    // Assess
    expect(resolved.notification).toBe('resolved');
    expect(resolved.transitions).toEqual([{ from: 'firing', to: 'resolved', reason: 'resolved', notified: true, detail: 'cleared past the margin' }]);
    expect(resolved.state).toMatchObject({ status: 'resolved', resolvedPeriodEnd: '2026-11-21', firingSince: firedAt });
    expect(next.notification).toBeUndefined();
    expect(next.transitions).toEqual([{ from: 'resolved', to: 'ok', reason: 'closed', notified: false, detail: 'resolved earlier' }]);
  });
});

describe('advanceAlert: snooze', () => {
  const snooze = { key: 'sessions-daily', until: '2026-11-22', reason: '블랙프라이데이 준비' };

  it('a confirmed breach while snoozed goes firing with an event, but no notification', () => {
    // Act
    const step = advanceAlert(input({ signal: breachingConfirmed, snooze }));
    // Assess
    expect(step.notification).toBeUndefined();
    expect(step.transitions).toEqual([{ from: 'ok', to: 'firing', reason: 'snoozed', notified: false, detail: 'snoozed until 2026-11-22: 블랙프라이데이 준비' }]);
    expect(step.state).toMatchObject({ status: 'firing', firingNotified: false });
    expect(step.state.lastNotifiedAt).toBeUndefined();
  });

  it('after the snooze, a still-firing alert notifies firing (not repeat) on the first run', () => {
    // Prepare
    const snoozed = advanceAlert(input({ signal: breachingConfirmed, snooze })).state;
    // Act
    const step = advanceAlert(input({ previous: snoozed, signal: breachingConfirmed, snapshotDate: '2026-11-23', now: new Date('2026-11-23T22:00:00Z') }));
    // Assess
    expect(step.notification).toBe('firing');
    expect(step.transitions).toEqual([{ from: 'firing', to: 'firing', reason: 'firing', notified: true, detail: 'the snooze ended' }]);
  });

  it('resolving while snoozed sends nothing; resolving after a snoozed-only episode sends nothing either', () => {
    // Prepare
    const snoozed = advanceAlert(input({ signal: breachingConfirmed, snooze })).state;
    // Act
    const duringSnooze = advanceAlert(input({ previous: firing, signal: cleared, snooze }));
    const afterSnooze = advanceAlert(input({ previous: snoozed, signal: cleared, snapshotDate: '2026-11-23', now: new Date('2026-11-23T22:00:00Z') }));
    // Assess
    expect(duringSnooze.notification).toBeUndefined();
    expect(duringSnooze.transitions[0]).toMatchObject({ from: 'firing', to: 'resolved', reason: 'snoozed', notified: false });
    expect(afterSnooze.notification).toBeUndefined();
    expect(afterSnooze.transitions).toEqual([{
      from: 'firing', to: 'resolved', reason: 'resolved', notified: false, detail: 'cleared; its firing was never notified, so no resolved notice',
    }]);
  });
});

describe('advanceAlert: acknowledge', () => {
  const ack = [{ key: 'sessions-daily', note: '결제 오류 수정 중' }];

  it('an acknowledgement stops reminders until the alert resolves; the next episode repeats again', () => {
    // Act: acknowledged on 11-21, still firing on 11-22, resolved on 11-23, firing again 11-24, 25
    const acked = advanceAlert(input({ previous: firing, signal: breachingConfirmed, acknowledgements: ack }));
    const stillFiring = advanceAlert(input({ previous: acked.state, signal: breachingConfirmed, acknowledgements: ack, snapshotDate: '2026-11-22', now: new Date('2026-11-22T22:00:00Z') }));
    const resolved = advanceAlert(input({ previous: stillFiring.state, signal: cleared, acknowledgements: ack, snapshotDate: '2026-11-23', now: new Date('2026-11-23T22:00:00Z') }));
    const again = advanceAlert(input({ previous: resolved.state, signal: breachingConfirmed, acknowledgements: ack, snapshotDate: '2026-11-24', now: new Date('2026-11-24T22:00:00Z') }));
    const reminder = advanceAlert(input({ previous: again.state, signal: breachingConfirmed, acknowledgements: ack, snapshotDate: '2026-11-25', now: new Date('2026-11-25T22:00:00Z') }));
    // Assess
    expect(acked.notification).toBeUndefined();
    expect(acked.transitions).toEqual([{ from: 'firing', to: 'firing', reason: 'acknowledged', notified: false, detail: '결제 오류 수정 중' }]);
    expect(stillFiring.notification).toBeUndefined();
    expect(stillFiring.transitions).toEqual([]);
    expect(resolved.notification).toBe('resolved');
    expect(resolved.state.spentAcknowledgements).toEqual(['sessions-daily']);
    expect(again.notification).toBe('firing');
    expect(reminder.notification).toBe('repeat');
  });

  it('taking the acknowledgement out of the config resumes reminders', () => {
    // Prepare
    const acked = advanceAlert(input({ previous: firing, signal: breachingConfirmed, acknowledgements: ack })).state;
    // Act
    const step = advanceAlert(input({ previous: acked, signal: breachingConfirmed, acknowledgements: [], snapshotDate: '2026-11-22', now: new Date('2026-11-22T22:00:00Z') }));
    // Assess
    expect(step.notification).toBe('repeat');
    expect(step.state.acknowledged).toBeUndefined();
  });
});

describe('advanceAlert: reruns and stale data', () => {
  it('the same snapshot date again changes nothing, even a day later', () => {
    // Prepare
    const first = advanceAlert(input({ signal: breachingConfirmed }));
    // Act
    const rerun = advanceAlert(input({ previous: first.state, signal: breachingConfirmed, now: new Date('2026-11-22T23:00:00Z') }));
    // Assess
    expect(rerun).toStrictEqual({ state: first.state, transitions: [], notification: undefined, rerun: true });
  });

  it('stale holds a firing alert without notifying, and on time again it resumes firing without a new firing notice', () => {
    // Act
    const stale = advanceAlert(input({ previous: firing, signal: cleared, stale: true }));
    const staleAgain = advanceAlert(input({ previous: stale.state, signal: cleared, stale: true, snapshotDate: '2026-11-22', now: new Date('2026-11-22T22:00:00Z') }));
    const fresh = advanceAlert(input({ previous: staleAgain.state, signal: inBand, snapshotDate: '2026-11-23', now: new Date('2026-11-23T22:00:00Z') }));
    // Assess
    expect(stale.notification).toBeUndefined();
    expect(stale.transitions).toEqual([{ from: 'firing', to: 'stale', reason: 'stale', notified: false, detail: 'the KPI’s source is late; alerts held until it is on time' }]);
    expect(stale.state).toMatchObject({ status: 'stale', heldStatus: 'firing' });
    expect(staleAgain.transitions).toEqual([]);
    expect(fresh.notification).toBeUndefined();
    expect(fresh.transitions).toEqual([{ from: 'stale', to: 'firing', reason: 'fresh', notified: false, detail: 'the KPI’s source is on time again' }]);
    expect(fresh.state.status).toBe('firing');
    expect(fresh.state.heldStatus).toBeUndefined();
  });
});
