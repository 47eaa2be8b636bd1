/**
 * `npm run chaos`: seeded crash-consistency trials for every connector, bounded in time, loopback
 * only. Each trial starts the connector's sandbox here with a fault plan (429 + Retry-After, 5xx,
 * resets mid-body, cut and malformed bodies, slow answers, a failure on request N, sometimes the
 * vendor's own throttling or a token that expires mid-sync), runs `kpi sync` as a child, SIGKILLs
 * it at a seeded lake operation or after a seeded delay, runs it again until it finishes, and
 * compares the tables with a clean run's: rows, distinct primary keys, sums, and every row.
 * Exits 1 on any loss, duplicate, changed row or unfinished trial.
 *
 *   npm run chaos -- [--trials 12] [--seed 7] [--budget 240] [--concurrency 3] [--only ga4,meta]
 *                    [--faults 429:0.05@1s,500:0.02,…] [--reader-seconds 10]
 *
 * Then a DuckDB reader queries a partition while it is rewritten in a loop, and the figures say how
 * many answers were whole (all must be) and how many queries failed and were answered on retry.
 * KPI_CHAOS_KEEP=1 keeps each trial's folder (config, lake) for a look afterwards.
 */
import { parseArgs } from 'node:util';
import { parseFaultPlan } from '../connectors/sandbox-kit/faults.ts';
import { figuresOf, readerVersions, stressReaderDuringRewrites } from './chaos/reader-stress.ts';
import { figuresByConnector, formatFigures } from './chaos/report.ts';
import { chaosTargets } from './chaos/targets.ts';
import { runChaos, trialProblems } from './chaos/trials.ts';

export const defaultFaults = '429:0.04@1s,500:0.02,502:0.02,503:0.03@1s,reset:0.03,truncate:0.03,malformed:0.02,slow:0.05@150ms';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '12' },
    seed: { type: 'string', default: '7' },
    budget: { type: 'string', default: '240' },
    'reader-seconds': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '3' },
    only: { type: 'string' },
    faults: { type: 'string', default: defaultFaults },
  },
});

const positive = (name: string, text: string | undefined): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`chaos: --${name} must be a whole number from 1, not "${text}"\n`);
    process.exit(2);
  }
  return value;
};
const trials = positive('trials', values.trials);
const seed = Number(values.seed);
const budgetSeconds = positive('budget', values.budget);
const concurrency = positive('concurrency', values.concurrency);
const readerSeconds = positive('reader-seconds', values['reader-seconds']);
try {
  parseFaultPlan(values.faults!);
} catch (error) {
  process.stderr.write(`chaos: --faults: ${(error as Error).message}\n`);
  process.exit(2);
}
const only = values.only?.split(',').map((s) => s.trim());
const targets = only ? chaosTargets.filter((t) => only.includes(t.type)) : chaosTargets;
if (targets.length === 0) {
  process.stderr.write(`chaos: --only matches no connector; known: ${chaosTargets.map((t) => t.type).join(', ')}\n`);
  process.exit(2);
}

const began = Date.now();
process.stdout.write(`Chaos trials: ${trials} per connector (${targets.map((t) => t.type).join(', ')}), seed ${seed}, ` +
  `time budget ${budgetSeconds} s, ${concurrency} at a time\nRandom faults: ${values.faults}\n\n`);
const { results, skipped } = await runChaos({
  seed, groups: targets.map((t) => [t]), trialsPerGroup: trials, timeBudgetMs: budgetSeconds * 1000, faults: values.faults!,
  concurrency, maxRunsPerTrial: 8, vendorThrottleShare: 0.5, expireShare: 0.15, secondKillShare: 0.3, anchorDate: '2026-10-16',
  onTrial: (trial) => {
    const problems = trialProblems(trial);
    process.stdout.write(`  ${trial.group.join('+').padEnd(10)} trial ${String(trial.trial).padStart(2)}: kills ${trial.kills.join(' / ') || 'none'}; ` +
      `exit codes ${trial.exitCodes.map((c) => c ?? 'killed').join(' ')}; ${(trial.durationMs / 1000).toFixed(1)} s ${problems.length === 0 ? 'ok' : 'FAILED'}\n`);
  },
});

const problems = results.flatMap(trialProblems);
const figures = figuresByConnector(results);
process.stdout.write('\n' + formatFigures(figures).join('\n') + '\n');
const totals = figures.flatMap((f) => [...f.tables.values()]).reduce(
  (sum, t) => ({
    expected: sum.expected + t.rowsExpected, found: sum.found + t.rowsFound, duplicates: sum.duplicates + t.duplicates,
    losses: sum.losses + t.losses, changed: sum.changed + t.unexpected, beforeStart: sum.beforeStart + t.beforeStart,
  }),
  { expected: 0, found: 0, duplicates: 0, losses: 0, changed: 0, beforeStart: 0 },
);
const faults = figures.reduce((sum, f) => sum + [...f.faults.values()].reduce((a, b) => a + b, 0), 0);
const orphans = results.reduce((sum, r) => sum + r.orphanTempFiles, 0);
process.stdout.write(`Total: ${results.length} trials${skipped > 0 ? ` (${skipped} skipped: time budget)` : ''}, ` +
  `${results.reduce((s, r) => s + r.exitCodes.length, 0)} runs, ${faults.toLocaleString('en-US')} faults injected, ` +
  `rows expected ${totals.expected.toLocaleString('en-US')}, found ${totals.found.toLocaleString('en-US')}, ` +
  `duplicates ${totals.duplicates}, losses ${totals.losses}, changed or stray rows ${totals.changed}, rows before the first day ${totals.beforeStart}; ` +
  `orphan temp files after a kill mid-put: ${orphans}; ` +
  `${((Date.now() - began) / 1000).toFixed(0)} s\n`);

const reader = await stressReaderDuringRewrites({ durationMs: readerSeconds * 1000, maxRewrites: 1_000_000 });
const whole = new Set([figuresOf(readerVersions.a), figuresOf(readerVersions.b)]);
const answers = [...reader.answers.values()].reduce((a, b) => a + b, 0);
const torn = [...reader.answers.entries()].filter(([answer]) => !whole.has(answer)).reduce((sum, [, n]) => sum + n, 0);
const failed = [...reader.failures.values()].reduce((a, b) => a + b, 0);
process.stdout.write(`\nReader during rewrites (${readerSeconds} s): ${reader.rewrites.toLocaleString('en-US')} rewrites of one partition, ` +
  `${reader.queries.toLocaleString('en-US')} queries, ${answers.toLocaleString('en-US')} answers: ${answers - torn} whole, ${torn} half or mixed; ` +
  `${failed} queries failed with a DuckDB I/O error (${[...reader.failures.keys()].map((m) => m.slice(0, 70)).join(' | ') || 'none'}), ` +
  `${reader.answeredOnRetry} answered on retry, ${reader.unanswered} not\n`);
if (torn > 0 || reader.unanswered > 0) problems.push(`reader during rewrites: ${torn} half or mixed answers, ${reader.unanswered} queries not answered on retry`);

if (problems.length > 0) {
  process.stdout.write(`\nFAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write('OK: no loss, no duplicate, no changed row.\n');
}
