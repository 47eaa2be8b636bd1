import { z } from 'zod';
import { connectorRegistry } from '../connectors/declarations.ts';
import { IsoDate } from '../core/config/schema.ts';
import { SesMailer } from '../core/email/ses-mailer.ts';
import { readSnapshot } from '../core/kpi/read-snapshot.ts';
import { runNotify } from '../core/pipeline/run-notify.ts';
import { config, lakeStore, log, queryEngine } from './runtime.ts';

/** The snapshot step's output: `{ "snapshotDate": "YYYY-MM-DD", … }`. */
export const NotifyEvent = z.object({ snapshotDate: IsoDate }).loose();
export type NotifyEvent = z.infer<typeof NotifyEvent>;

/** Tables and views only: notify reads no source, so it bundles no connector client. */
const connectors = connectorRegistry();
const engine = queryEngine();
// SES v2 with raw MIME (nodemailer's MIME composer, not its SMTP transport).
const mailer = new SesMailer({ ...(process.env.SES_CONFIGURATION_SET ? { configurationSetName: process.env.SES_CONFIGURATION_SET } : {}) });
const store = lakeStore();

export async function handler(event: unknown) {
  const { snapshotDate } = NotifyEvent.parse(event);
  const { config: pipeline, sources, kpis, catalog } = await config(connectors);
  const snapshot = await readSnapshot(engine, snapshotDate);
  const result = await runNotify({ config: pipeline, snapshot, snapshotDate, mailer, store, kpis, sources, views: catalog.views, log });
  return {
    snapshotDate,
    goals: result.evaluations.map((e) => ({ id: e.goal.id, status: e.status, periodResult: e.periodResult })),
    sent: result.sent.map((s) => ({ to: s.to, subject: s.subject })),
  };
}
