import type { PipelineConfig, Recipient } from '../config/schema.ts';
import { renderAlertEmail } from '../email/render-alert-email.ts';
import type { Mailer, SentEmail } from '../email/mailer.ts';
import { evaluateGoal } from '../goals/evaluate-goal.ts';
import { writeGoalStatus } from '../goals/goal-status-table.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import type { GoalEvaluation } from '../goals/evaluation.ts';
import { builtInKpis, type KpiRegistry } from '../kpi/registry.ts';
import type { KpiSnapshotRow } from '../kpi/definition.ts';
import type { Logger } from '../log.ts';

export interface NotifyResult {
  readonly evaluations: readonly GoalEvaluation[];
  readonly sent: readonly SentEmail[];
}

/** Evaluates every goal on the snapshot and sends one email per recipient with their breached goals. */
export async function runNotify(options: {
  readonly config: PipelineConfig;
  readonly snapshot: readonly KpiSnapshotRow[];
  readonly snapshotDate: string;
  readonly mailer: Mailer;
  readonly store: ObjectStore;
  readonly kpis?: KpiRegistry;
  readonly log: Logger;
  readonly now?: Date;
}): Promise<NotifyResult> {
  const { config, snapshot, mailer, log } = options;
  const kpiById = (options.kpis ?? builtInKpis).kpiById;
  const evaluations = config.goals.map((goal) => evaluateGoal(goal, kpiById.get(goal.kpi)!, snapshot, options.snapshotDate));
  await writeGoalStatus(options.store, evaluations, options.snapshotDate, options.now ?? new Date());
  const sent: SentEmail[] = [];
  for (const recipient of config.recipients) {
    const mine = evaluations.filter((e) => e.periodResult === 'breached' && includes(e.goal.recipients, recipient));
    if (mine.length === 0) continue;
    const email = renderAlertEmail({
      recipient, evaluations: mine, project: config.project, currency: config.currency, snapshotDate: options.snapshotDate,
      ...(config.email.dashboardUrl ? { dashboardUrl: config.email.dashboardUrl } : {}),
    });
    sent.push(await mailer.send({
      from: config.email.from,
      to: { address: recipient.email, ...(recipient.name ? { name: recipient.name } : {}) },
      ...email,
      date: options.now ?? new Date(),
      fileStem: `${options.snapshotDate}-${recipient.email.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    }));
    log.info(`sent ${mine.length} alert${mine.length === 1 ? '' : 's'} to ${recipient.email}`);
  }
  return { evaluations, sent };
}

function includes(emails: readonly string[], recipient: Recipient): boolean {
  return emails.some((e) => e.toLowerCase() === recipient.email.toLowerCase());
}
