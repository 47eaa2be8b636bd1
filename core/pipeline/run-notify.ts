import { appendAlertEvents } from '../alerts/alert-events.ts';
import { readAlertState, writeAlertState } from '../alerts/alert-state.ts';
import { evaluateAlerts, type AlertsOutcome } from '../alerts/evaluate-alerts.ts';
import type { PipelineConfig, Recipient } from '../config/schema.ts';
import { isoWeekday, startOfIsoWeek } from '../dates.ts';
import type { Mailer, SentEmail } from '../email/mailer.ts';
import { renderDataLateEmail } from '../email/render-data-late-email.ts';
import { renderDigestEmail } from '../email/render-digest-email.ts';
import { renderScorecardEmail } from '../email/render-scorecard-email.ts';
import { evaluateGoal } from '../goals/evaluate-goal.ts';
import type { GoalEvaluation } from '../goals/evaluation.ts';
import { writeGoalStatus } from '../goals/goal-status-table.ts';
import type { KpiSnapshotRow } from '../kpi/definition.ts';
import { builtInKpis, type KpiRegistry } from '../kpi/registry.ts';
import { getText, type ObjectStore } from '../lake/object-store.ts';
import type { Logger } from '../log.ts';
import type { ConfiguredSource } from '../config/load-config.ts';
import type { ViewDefinition } from '../table/schema.ts';
import { findLateSources, kpisOfLateTables, type LateSource } from './freshness.ts';

export interface NotifyResult {
  readonly evaluations: readonly GoalEvaluation[];
  readonly alerts: AlertsOutcome;
  readonly sent: readonly SentEmail[];
  /** Sources behind their promise: their KPIs' alerts were held back. */
  readonly late: readonly LateSource[];
}

/**
 * Judges every goal (table goal_status), runs the alert engine over the snapshot and the stored
 * alert state, and sends: one digest per recipient with what changed (new, reminders, resolved),
 * one "data late" email to the data team, and on the last day of an ISO week the weekly
 * scorecard. Events and state are written after the emails: a crash in between repeats an email,
 * it never loses one; a rerun of the same day sends nothing new.
 */
export async function runNotify(options: {
  readonly config: PipelineConfig;
  readonly snapshot: readonly KpiSnapshotRow[];
  readonly snapshotDate: string;
  readonly mailer: Mailer;
  readonly store: ObjectStore;
  readonly kpis?: KpiRegistry;
  /** The configured sources and the lake's views: with them, late sources hold back their KPIs' alerts. */
  readonly sources?: readonly ConfiguredSource[];
  readonly views?: readonly ViewDefinition[];
  readonly log: Logger;
  readonly now?: Date;
  readonly runId?: string;
}): Promise<NotifyResult> {
  const { config, snapshot, snapshotDate, mailer, store, log } = options;
  const now = options.now ?? new Date();
  const runId = options.runId ?? now.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
  const registry = options.kpis ?? builtInKpis;
  const kpiById = registry.kpiById;
  const late = options.sources ? await findLateSources(store, options.sources, snapshotDate, config.timezone) : [];
  const staleKpis = kpisOfLateTables(late, registry, options.views ?? []);
  const evaluations = config.goals.map((goal) => evaluateGoal(goal, kpiById.get(goal.kpi)!, snapshot, snapshotDate));
  await writeGoalStatus(store, evaluations, snapshotDate, now);

  const alerts = evaluateAlerts({
    snapshotDate, now, timeZone: config.timezone, currency: config.currency, goals: evaluations, snapshot, kpis: kpiById,
    settings: config.alerts, previous: await readAlertState(store), staleKpis,
  });

  const sent: SentEmail[] = [];
  const send = async (recipient: { address: string; name?: string }, fileStem: string, email: { subject: string; html: string; text: string; attachments?: unknown }) => {
    sent.push(await mailer.send({
      from: config.email.from, to: recipient, subject: email.subject, html: email.html, text: email.text, date: now, fileStem,
      ...(email.attachments ? { attachments: email.attachments as NonNullable<Parameters<Mailer['send']>[0]['attachments']> } : {}),
    }));
  };
  const dashboard = config.email.dashboardUrl ? { dashboardUrl: config.email.dashboardUrl } : {};

  for (const recipient of config.recipients) {
    const mine = alerts.notifications.filter((n) => includes(n.evaluation.goal.recipients, recipient));
    if (mine.length === 0) continue;
    const email = renderDigestEmail({
      recipient, notifications: mine, project: config.project, currency: config.currency, snapshotDate, timeZone: config.timezone, now, ...dashboard,
    });
    await send(addressOf(recipient), `${snapshotDate}-${slug(recipient.email)}`, email);
    log.info(`sent ${mine.length} alert${mine.length === 1 ? '' : 's'} to ${recipient.email}`);
  }

  if (alerts.dataTeam.length > 0) {
    if (config.email.dataTeam) {
      await send({ address: config.email.dataTeam }, `${snapshotDate}-data-team`, renderDataLateEmail({
        project: config.project, snapshotDate, notices: alerts.dataTeam, late,
      }));
      log.warn(`data late: told ${config.email.dataTeam} (${alerts.dataTeam.map((n) => n.table).join(', ')})`);
    } else {
      log.warn(`data late (${alerts.dataTeam.map((n) => n.table).join(', ')}), but email.dataTeam is not set: nobody was told`);
    }
  }

  // The weekly KPI review: on the snapshot of a week's last day, once per week.
  if (isoWeekday(snapshotDate) === 7) {
    const weekStart = startOfIsoWeek(snapshotDate);
    const marker = `_state/scorecards/${weekStart}.json`;
    if ((await getText(store, marker)) === undefined) {
      for (const recipient of config.recipients) {
        const mine = evaluations.filter((e) => includes(e.goal.recipients, recipient));
        if (mine.length === 0) continue;
        const email = renderScorecardEmail({ recipient, evaluations: mine, project: config.project, currency: config.currency, weekStart, ...dashboard });
        await send(addressOf(recipient), `${snapshotDate}-scorecard-${slug(recipient.email)}`, email);
      }
      await store.put(marker, JSON.stringify({ weekStart, sentAt: now.toISOString() }) + '\n', 'application/json');
      log.info(`sent the weekly scorecard of the week from ${weekStart}`);
    }
  }

  await appendAlertEvents(store, snapshotDate, runId, alerts.events);
  await writeAlertState(store, alerts.state);
  return { evaluations, alerts, sent, late };
}

function addressOf(recipient: Recipient): { address: string; name?: string } {
  return { address: recipient.email, ...(recipient.name ? { name: recipient.name } : {}) };
}

function slug(email: string): string {
  return email.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

function includes(emails: readonly string[], recipient: Recipient): boolean {
  return emails.some((e) => e.toLowerCase() === recipient.email.toLowerCase());
}
