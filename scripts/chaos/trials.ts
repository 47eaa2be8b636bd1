/**
 * Seeded crash-consistency trials: the sandboxes run in this process with a fault plan; `kpi sync`
 * runs as a child that is SIGKILLed at a seeded lake operation or after a seeded delay, then runs
 * again until it finishes; the final tables must equal a clean run's row for row.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectors } from '../../connectors/index.ts';
import { parseFaultPlan, type FaultPlan, type InjectedFault } from '../../connectors/sandbox-kit/faults.ts';
import { hash, mulberry32 } from '../../connectors/sandbox-kit/seeded-random.ts';
import { parseConfig } from '../../core/config/load-config.ts';
import { addDays } from '../../core/dates.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { readStreamState } from '../../core/lake/state-store.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { runSync } from '../../core/pipeline/run-sync.ts';
import { LayeredSecretStore, LocalSecretStore } from '../../core/secrets.ts';
import type { StreamSyncResult } from '../../core/sync/sync-stream.ts';
import {
  compareQuarantine, compareTables, readLakeTables, readQuarantine, type LakeShape, type QuarantineComparison, type TableComparison, type TableContent,
} from './lake-compare.ts';
import { retryWaits, runKpiChild, type KpiRun } from './run-kpi.ts';
import type { ChaosTarget, StartedTarget } from './targets.ts';

export interface ChaosSettings {
  readonly seed: number;
  /** Groups of targets; each trial runs one group in one config (one target per group = targeted kills). */
  readonly groups: readonly (readonly ChaosTarget[])[];
  readonly trialsPerGroup: number;
  /** No trial starts after this much time; running ones finish. */
  readonly timeBudgetMs: number;
  /** Random faults of every trial (its seed is added per trial), in the faults.ts grammar. */
  readonly faults: string;
  /** Trials run at once. */
  readonly concurrency: number;
  /** Runs a trial may take to finish after its kills (faults can fail a run too). */
  readonly maxRunsPerTrial: number;
  /** Share of trials with the vendors' own throttling on, and with a token that expires mid-sync. */
  readonly vendorThrottleShare: number;
  readonly expireShare: number;
  /** Share of trials killed a second time (in their second run). */
  readonly secondKillShare: number;
  readonly anchorDate: string;
  /** Days the first sync reads; default the targets' (28). */
  readonly backfillDays?: number;
  /** The kills of every trial, in run order, instead of seeded ones. */
  readonly kills?: (baseline: Baseline) => readonly Kill[];
  readonly onTrial?: (trial: TrialResult) => void;
}

export interface TargetTrialFigures {
  readonly type: string;
  readonly sourceId: string;
  readonly faults: Readonly<Record<string, number>>;
  readonly vendorThrottle: string | undefined;
  readonly tables: readonly TableComparison[];
  /** Records sent to `_rejects` (distinct), against the clean run's. */
  readonly quarantine: QuarantineComparison;
  /** Longest single wait before a retry the client logged, ms. */
  readonly maxRetryWaitMs: number;
  /** Longest total of such waits in one run, ms. */
  readonly maxRunRetryWaitMs: number;
  /** Streams whose cursor differs from the clean run's after the last run. */
  readonly cursorsBehind: readonly string[];
  /** Fault kinds this connector's trials leave out, and why. */
  readonly notInjected: string | undefined;
}

export interface TrialResult {
  readonly trial: number;
  readonly seed: number;
  readonly group: readonly string[];
  readonly plan: string;
  readonly kills: readonly string[];
  readonly exitCodes: readonly (number | null)[];
  readonly completed: boolean;
  /** Lake files left by a put that was killed between its temp file and its rename. */
  readonly orphanTempFiles: number;
  /** Lock files left after the last run. */
  readonly locksLeft: number;
  readonly targets: readonly TargetTrialFigures[];
  readonly durationMs: number;
}

export interface Baseline {
  readonly tables: ReadonlyMap<string, TableContent>;
  /** Distinct quarantined records per source id. */
  readonly quarantine: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every stream's cursor after the clean run. */
  readonly cursors: ReadonlyMap<string, string | undefined>;
  /** Lake operations of a clean run, numbered as the kill hook numbers them (a put is two: the put and its rename). */
  readonly operations: number;
  /**
   * The puts and deletes of the clean run with the number of their first operation. Partition
   * writes run a few at a time, so only numbers of writes with nothing else in flight (the cursor,
   * written after its checkpoint's files) are the same in every run.
   */
  readonly trace: readonly { readonly op: number; readonly kind: 'put' | 'delete'; readonly key: string }[];
  readonly durationMs: number;
}

/** Where a run is killed: just before the N-th lake operation, or a delay after the sync starts. */
export type Kill = { readonly atOperation: number } | { readonly afterMs: number };

const usdRate = { currency: 'USD', from: '2024-01', to: '2027-12', rate: 1380 };

export function pipelineDocument(started: readonly StartedTarget[]): string {
  // JSON is YAML: the loader reads it as pipeline.yaml.
  return JSON.stringify({ version: 1, email: { from: 'KPI <kpi@example.com>' }, fx: [usdRate], sources: started.map((s) => s.source) }, null, 2) + '\n';
}

export function secretEnv(started: readonly StartedTarget[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const target of started) for (const [name, value] of Object.entries(target.secrets)) env[LocalSecretStore.envName(name)] = value;
  return env;
}

/** Tables (with their primary keys and write modes) and views of the group's streams, per target. */
export function tablesOf(group: readonly ChaosTarget[], started: readonly StartedTarget[]): LakeShape & { byTarget: Map<string, string[]>; streams: Map<string, string> } {
  const tables: LakeShape['tables'][number][] = [];
  const views: LakeShape['views'][number][] = [];
  const keys = new Map<string, readonly string[]>();
  const appendTables = new Set<string>();
  const partitionFields = new Map<string, string>();
  const byTarget = new Map<string, string[]>();
  const streams = new Map<string, string>();
  group.forEach((target, index) => {
    const config = target.connector.configSchema.parse(started[index]!.source);
    const names: string[] = [];
    for (const stream of target.connector.streams(config, { secrets: new LocalSecretStore({ env: {} }), log: silentLogger })) {
      tables.push(stream.table);
      keys.set(stream.table.name, stream.primaryKey);
      if (stream.writeMode === 'append') appendTables.add(stream.table.name);
      partitionFields.set(stream.table.name, stream.partitionField);
      names.push(stream.table.name);
      streams.set(stream.table.name, target.sourceId);
    }
    const connectorViews = target.connector.viewsFor?.(config) ?? target.connector.views ?? [];
    for (const view of connectorViews.filter((v) => v.dependsOn.every((name) => names.includes(name)))) {
      views.push(view);
      // The _latest views keep one row per record id.
      keys.set(view.name, ['id']);
      names.push(view.name);
    }
    byTarget.set(target.type, names);
  });
  return { tables, views, keys, appendTables, partitionFields, byTarget, streams };
}

async function cursorsOf(store: LocalFolderStore, shape: ReturnType<typeof tablesOf>): Promise<Map<string, string | undefined>> {
  const cursors = new Map<string, string | undefined>();
  for (const [table, sourceId] of shape.streams) cursors.set(table, (await readStreamState(store, sourceId, table))?.cursor);
  return cursors;
}

class CountingFolderStore extends LocalFolderStore {
  operations = 0;
  readonly trace: { op: number; kind: 'put' | 'delete'; key: string }[] = [];
  override async put(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
    this.trace.push({ op: this.operations + 1, kind: 'put', key });
    this.operations += 2; // the put, and the rename that ends it
    return super.put(key, body, contentType);
  }
  override async delete(keys: readonly string[]): Promise<void> {
    this.trace.push({ op: this.operations + 1, kind: 'delete', key: keys.join(' ') });
    this.operations += 1;
    return super.delete(keys);
  }
}

/** Syncs the started targets into `store` in this process, with the same runSync the CLI calls. */
export async function syncInProcess(
  started: readonly StartedTarget[], store: LocalFolderStore, anchorDate: string, log: Logger = silentLogger,
): Promise<StreamSyncResult[]> {
  const loaded = parseConfig(pipelineDocument(started), 'pipeline.yaml', connectors);
  const secrets = new LayeredSecretStore(Object.assign({}, ...started.map((s) => s.secrets)) as Record<string, string>, new LocalSecretStore({ env: {} }));
  return runSync({ config: loaded.config, sources: loaded.sources, store, secrets, log, lastCompleteDay: addDays(anchorDate, -1) });
}

/** A clean, fault-free sync of the group, in this process. */
export async function cleanBaseline(group: readonly ChaosTarget[], anchorDate: string, backfillDays?: number): Promise<Baseline> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kpi-chaos-clean-'));
  const started: StartedTarget[] = [];
  try {
    for (const target of group) started.push(await target.start({ anchorDate, ...(backfillDays === undefined ? {} : { backfillDays }) }));
    const store = new CountingFolderStore(path.join(dir, 'lake'));
    const begun = Date.now();
    await syncInProcess(started, store, anchorDate);
    const durationMs = Date.now() - begun;
    const shape = tablesOf(group, started);
    return {
      tables: await readLakeTables(path.join(dir, 'lake'), shape), quarantine: await readQuarantine(path.join(dir, 'lake')), cursors: await cursorsOf(store, shape),
      operations: store.operations, trace: store.trace, durationMs,
    };
  } finally {
    await Promise.all(started.map((s) => s.sandbox.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

interface TrialDesign {
  readonly seed: number;
  readonly plan: FaultPlan;
  readonly planText: string;
  readonly vendorThrottle: boolean;
  readonly expireAfter: number | undefined;
  readonly kills: readonly Kill[];
}

function designTrial(settings: ChaosSettings, groupName: string, trial: number, baseline: Baseline): TrialDesign {
  const seed = hash(`${settings.seed}|${groupName}|${trial}`);
  const random = mulberry32(seed);
  const failOn = 2 + Math.floor(random() * 10);
  const vendorThrottle = random() < settings.vendorThrottleShare;
  const expireAfter = random() < settings.expireShare ? 3 + Math.floor(random() * 15) : undefined;
  const kill = (): Kill => random() < 0.7
    ? { atOperation: 1 + Math.floor(random() * baseline.operations) }
    : { afterMs: Math.floor(random() * (baseline.durationMs * 2 + 300)) };
  const seeded = [kill(), ...(random() < settings.secondKillShare ? [kill()] : [])];
  const kills = settings.kills ? settings.kills(baseline) : seeded;
  const planText = `${settings.faults},fail-on:${failOn},seed:${seed % 1_000_000}${expireAfter === undefined ? '' : `,expire:${expireAfter}`}`;
  return { seed, plan: parseFaultPlan(planText), planText, vendorThrottle, expireAfter, kills };
}

async function runTrial(settings: ChaosSettings, group: readonly ChaosTarget[], trial: number, baseline: Baseline): Promise<TrialResult> {
  const begun = Date.now();
  const groupName = group.map((t) => t.type).join('+');
  const design = designTrial(settings, groupName, trial, baseline);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kpi-chaos-trial-'));
  const faults = group.map(() => new Map<string, number>());
  const started: StartedTarget[] = [];
  const startTarget = async (index: number, withExpiry: boolean, port?: number): Promise<StartedTarget> => {
    const { expireAfter: _dropped, ...withoutExpiry } = design.plan;
    const left = group[index]!.unsupportedFaults ?? [];
    const plan: FaultPlan = {
      ...(withExpiry ? design.plan : withoutExpiry),
      shares: Object.fromEntries(Object.entries(design.plan.shares).filter(([kind]) => !left.includes(kind))),
      failOn: (design.plan.failOn ?? []).filter((f) => typeof f.fault === 'number' || !left.includes(f.fault)),
      onFault: (fault: InjectedFault) => {
        const kind = fault.kind === 'fail-on' ? `fail-on@${fault.status ?? fault.body}` : fault.kind;
        faults[index]!.set(kind, (faults[index]!.get(kind) ?? 0) + 1);
      },
    };
    return group[index]!.start({
      anchorDate: settings.anchorDate, faults: plan, vendorThrottle: design.vendorThrottle, ...(port === undefined ? {} : { port }),
      ...(settings.backfillDays === undefined ? {} : { backfillDays: settings.backfillDays }),
    });
  };
  const runs: KpiRun[] = [];
  const kills: string[] = [];
  try {
    for (const [index] of group.entries()) started.push(await startTarget(index, design.expireAfter !== undefined));
    const config = path.join(dir, 'pipeline.yaml');
    await writeFile(config, pipelineDocument(started));
    const args = ['sync', '-c', config, '-d', path.join(dir, 'data'), '--as-of', addDays(settings.anchorDate, -1)];
    const env = secretEnv(started);
    for (let attempt = 0; attempt < settings.maxRunsPerTrial; attempt++) {
      const kill = design.kills[attempt];
      const run = await runKpiChild({
        args, env, cwd: dir, timeoutMs: 90_000,
        ...(kill && 'atOperation' in kill ? { killAtOperation: kill.atOperation } : {}),
        ...(kill && 'afterMs' in kill ? { killAfterSyncStartMs: kill.afterMs } : {}),
      });
      runs.push(run);
      if (run.killed) kills.push(run.killed === 'at-operation' ? `op ${(kill as { atOperation: number }).atOperation}` : run.killed === 'after-delay' ? `${(kill as { afterMs: number }).afterMs} ms` : 'timeout');
      if (run.code === 0) break;
      for (const target of started) target.nextDay?.();
      if (attempt === 0 && design.expireAfter !== undefined) {
        // The token "expired" mid-sync; the next run has a fresh one (same sandbox URL, no expiry).
        for (const [index, target] of started.entries()) {
          await target.sandbox.stop();
          started[index] = await startTarget(index, false, target.sandbox.port);
        }
      }
    }
    const completed = runs.at(-1)?.code === 0;
    const lakeRoot = path.join(dir, 'data', 'lake');
    const shape = tablesOf(group, started);
    const found = await readLakeTables(lakeRoot, shape);
    const quarantined = await readQuarantine(lakeRoot);
    const cursors = await cursorsOf(new LocalFolderStore(lakeRoot), shape);
    const waitsPerRun = runs.map((run) => retryWaits(run.stderr));
    const targets: TargetTrialFigures[] = [];
    for (const [index, target] of group.entries()) {
      const mine = shape.byTarget.get(target.type) ?? [];
      const cursorsBehind = mine.filter((name) => shape.streams.has(name) && cursors.get(name) !== baseline.cursors.get(name))
        .map((name) => `${name}@${cursors.get(name) ?? 'none'} (clean: ${baseline.cursors.get(name) ?? 'none'})`);
      const waits = waitsPerRun.map((perSource) => perSource.get(target.sourceId) ?? []);
      targets.push({
        type: target.type, sourceId: target.sourceId,
        faults: Object.fromEntries(faults[index]!),
        vendorThrottle: started[index]!.vendorThrottle,
        tables: mine.map((name) => compareTables(baseline.tables.get(name)!, found.get(name))),
        quarantine: compareQuarantine(baseline.quarantine.get(target.sourceId), quarantined.get(target.sourceId)),
        maxRetryWaitMs: Math.max(0, ...waits.flat()),
        maxRunRetryWaitMs: Math.max(0, ...waits.map((list) => list.reduce((sum, ms) => sum + ms, 0))),
        cursorsBehind,
        notInjected: target.unsupportedFaults ? `${target.unsupportedFaults.join(', ')}: ${target.unsupportedReason ?? ''}` : undefined,
      });
    }
    return {
      trial, seed: design.seed, group: group.map((t) => t.type), plan: design.planText + (design.vendorThrottle ? ' +vendor throttling' : ''),
      kills, exitCodes: runs.map((r) => r.code), completed,
      orphanTempFiles: await countFiles(lakeRoot, (name) => /\.tmp-[0-9a-f]{12}$/.test(name)),
      locksLeft: await countFiles(path.join(lakeRoot, '_locks'), () => true),
      targets, durationMs: Date.now() - begun,
    };
  } finally {
    await Promise.all(started.map((s) => s.sandbox.stop()));
    if (process.env['KPI_CHAOS_KEEP']) process.stderr.write(`kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}

async function countFiles(dir: string, match: (name: string) => boolean): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile() && match(entry.name)).length;
}

/** Every trial of every group, `concurrency` at a time, until the trials or the time budget run out. */
export async function runChaos(settings: ChaosSettings): Promise<{ results: TrialResult[]; skipped: number; baselines: Map<string, Baseline> }> {
  const deadline = Date.now() + settings.timeBudgetMs;
  const baselines = new Map<string, Baseline>();
  for (const group of settings.groups) baselines.set(group.map((t) => t.type).join('+'), await cleanBaseline(group, settings.anchorDate, settings.backfillDays));
  // Interleave the groups so a time budget that runs out leaves every connector with trials.
  const queue: { group: readonly ChaosTarget[]; trial: number }[] = [];
  for (let trial = 1; trial <= settings.trialsPerGroup; trial++) for (const group of settings.groups) queue.push({ group, trial });
  const results: TrialResult[] = [];
  let skipped = 0;
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (Date.now() >= deadline) {
        skipped += 1;
        continue;
      }
      const result = await runTrial(settings, next.group, next.trial, baselines.get(next.group.map((t) => t.type).join('+'))!);
      results.push(result);
      settings.onTrial?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, settings.concurrency) }, worker));
  return { results: results.sort((a, b) => a.group.join().localeCompare(b.group.join()) || a.trial - b.trial), skipped, baselines };
}

/** A trial is sound when it finished and every table equals the clean run's, with the cursors at the end. */
export function trialProblems(result: TrialResult): string[] {
  const problems: string[] = [];
  if (!result.completed) problems.push(`trial ${result.trial} (${result.group.join('+')}) did not finish in its runs: exit codes ${result.exitCodes.map((c) => c ?? 'killed').join(', ')}`);
  if (result.locksLeft > 0) problems.push(`trial ${result.trial}: ${result.locksLeft} lock file(s) left after the last run`);
  for (const target of result.targets) {
    for (const table of target.tables) {
      if (table.duplicates > 0 || table.losses > 0 || table.unexpected > 0 || table.sumMismatches.length > 0) {
        problems.push(`trial ${result.trial} ${target.type} ${table.table}: ${table.rowsFound}/${table.rowsExpected} rows, ` +
          `${table.duplicates} duplicates, ${table.losses} lost, ${table.unexpected} unexpected, sums differ: ${table.sumMismatches.join(', ') || 'none'}`);
      }
    }
    const q = target.quarantine;
    if (q.missing > 0 || q.unexpected > 0) {
      problems.push(`trial ${result.trial} ${target.type}: quarantined ${q.found} records (clean run ${q.expected}): ${q.missing} missing, ${q.unexpected} unexpected`);
    }
    if (target.cursorsBehind.length > 0) problems.push(`trial ${result.trial} ${target.type}: cursors differ from the clean run's: ${target.cursorsBehind.join(', ')}`);
  }
  return problems;
}
