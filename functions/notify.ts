import { z } from 'zod';
import { IsoDate } from '../core/config/schema.ts';
import { readSnapshot } from '../core/kpi/read-snapshot.ts';
import { runNotify } from '../core/pipeline/run-notify.ts';
import { adapters, config, log } from './runtime.ts';

/** The snapshot step's output: `{ "snapshotDate": "YYYY-MM-DD", … }`. */
export const NotifyEvent = z.object({ snapshotDate: IsoDate }).loose();
export type NotifyEvent = z.infer<typeof NotifyEvent>;

const engine = adapters.engine();
const mailer = adapters.mailer();
const store = adapters.store();

export async function handler(event: unknown) {
  const { snapshotDate } = NotifyEvent.parse(event);
  const { config: pipeline, sources, kpis, catalog } = await config();
  const snapshot = await readSnapshot(engine, snapshotDate);
  const result = await runNotify({ config: pipeline, snapshot, snapshotDate, mailer, store, kpis, sources, views: catalog.views, log });
  return {
    snapshotDate,
    goals: result.evaluations.map((e) => ({ id: e.goal.id, status: e.status, periodResult: e.periodResult })),
    sent: result.sent.map((s) => ({ to: s.to, subject: s.subject })),
  };
}
