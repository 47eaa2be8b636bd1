import { z } from 'zod';
import { IsoDate } from '../config/schema.ts';
import { LakeError } from '../errors.ts';
import { getText, type ObjectStore } from '../lake/object-store.ts';

/**
 * Where every alert stands between runs: one small JSON object in the object store, so a rerun
 * (or the next day's run) knows what was already notified. Read before evaluating, written after
 * the emails are sent: a crash in between repeats an email, it never loses one.
 */

export const alertStateKey = '_state/alerts/state.json';

/** ok → pending → firing → resolved (→ ok); stale while the KPI's source is late. */
export const AlertStatus = z.enum(['ok', 'pending', 'firing', 'resolved', 'stale']);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const LiveAlertStatus = z.enum(['ok', 'pending', 'firing', 'resolved']);
export type LiveAlertStatus = z.infer<typeof LiveAlertStatus>;

const StoredNotificationReason = z.enum(['firing', 'repeat', 'resolved']);

const Timestamp = z.iso.datetime({ offset: true });

export const AlertKeyState = z.object({
  status: AlertStatus,
  /** Under `stale`: the status the alert resumes from once its data is on time again. */
  heldStatus: LiveAlertStatus.optional(),
  /** When the current status began (ISO timestamp of that run). */
  since: Timestamp,
  /** When the current (or last) firing episode began. */
  firingSince: Timestamp.optional(),
  /** The firing notice of the current episode was sent (false while it was snoozed). */
  firingNotified: z.boolean().optional(),
  lastNotifiedAt: Timestamp.optional(),
  lastNotification: StoredNotificationReason.optional(),
  /** The snapshot date last evaluated: the same date again is a rerun and changes nothing. */
  lastEvaluatedSnapshot: IsoDate,
  lastValue: z.number().nullable(),
  lastPeriodStart: IsoDate.nullable(),
  lastPeriodEnd: IsoDate.nullable(),
  /** The period that resolved the last episode; breaches up to it do not count towards M of N again. */
  resolvedPeriodEnd: IsoDate.optional(),
  /** The acknowledgement (its config key) applied to the current episode. */
  acknowledged: z.object({ key: z.string(), at: IsoDate, note: z.string().optional() }).optional(),
  /** Acknowledgements still in the config that were used up by an episode that resolved. */
  spentAcknowledgements: z.array(z.string()).optional(),
});
export type AlertKeyState = z.infer<typeof AlertKeyState>;

export const AlertStateFile = z.object({
  version: z.literal(1),
  updatedAt: Timestamp,
  /** Per alert key (`<goal or rule id>|<kind>|<segment or all>`, `<table>|freshness|all`). */
  alerts: z.record(z.string(), AlertKeyState),
});
export type AlertStateFile = z.infer<typeof AlertStateFile>;

/** The state file, or undefined when there is none yet (the first run). */
export async function readAlertState(store: ObjectStore): Promise<AlertStateFile | undefined> {
  const text = await getText(store, alertStateKey);
  if (text === undefined) return undefined;
  const remedy = 'delete it to start afresh (every alert still breaching then notifies once more)';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LakeError(`alert state file ${alertStateKey} in ${store.location} is not valid JSON; ${remedy}`, { cause, context: { key: alertStateKey } });
  }
  const parsed = AlertStateFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new LakeError(`alert state file ${alertStateKey} in ${store.location} does not match the expected shape (${issue?.message}${where}); ${remedy}`, {
      context: { key: alertStateKey },
    });
  }
  return parsed.data;
}

export async function writeAlertState(store: ObjectStore, state: AlertStateFile): Promise<void> {
  await store.put(alertStateKey, JSON.stringify(AlertStateFile.parse(state), null, 2) + '\n', 'application/json');
}
