import { Command, Option } from 'commander';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { connectors } from '../connectors/index.ts';
import { describeFaultPlan, FaultPlanError, parseFaultPlan, setProcessFaultPlan } from '../connectors/sandbox-kit/faults.ts';
import { loadConfig } from '../core/config/load-config.ts';
import { KpiError, UsageError } from '../core/errors.ts';
import { isIsoDate, todayIn } from '../core/dates.ts';
import type { RunningSandbox } from '../core/connector.ts';
import { latestSnapshotDate, readSnapshot } from '../core/kpi/read-snapshot.ts';
import { createConsoleLogger } from '../core/log.ts';
import { DuckDbEngine } from '../core/query/duckdb-engine.ts';
import { runNotify } from '../core/pipeline/run-notify.ts';
import { runSnapshot } from '../core/pipeline/run-snapshot.ts';
import { runSync } from '../core/pipeline/run-sync.ts';
import { createContext, defaultLakeCatalog, type CliContext, type CommonOptions } from './context.ts';
import { existsSync } from 'node:fs';
import { displayPath, formatEvaluations, formatSent, formatSyncResults, formatTableCounts } from './summary.ts';
import { printRows } from './print-rows.ts';

const log = createConsoleLogger();
const out = (line = '') => process.stdout.write(line + '\n');
const exampleConfig = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'pipeline.yaml');

const program = new Command('kpi')
  .description('Marketing data → Parquet lake → KPI snapshots → goal alerts. Runs locally with no AWS.')
  .showHelpAfterError();

const withCommon = (command: Command, defaults: { config?: string } = {}) => command
  .option('-c, --config <file>', 'pipeline config', defaults.config ?? 'pipeline.yaml')
  .option('-d, --data-dir <dir>', 'where the local lake and outbox live', '.kpi')
  .option('--as-of <date>', 'last complete day (YYYY-MM-DD); default: yesterday in the business time zone')
  .option('--secrets <file>', 'local secrets JSON file (default: secrets.local.json when present)');

async function withContext<T>(options: CommonOptions, startSandboxes: boolean, body: (context: CliContext) => Promise<T>): Promise<T> {
  const context = await createContext(options, log, { startSandboxes });
  try {
    return await body(context);
  } finally {
    await context.close();
  }
}

withCommon(program.command('validate').description('check pipeline.yaml and print every problem with its path')).action(async (options: CommonOptions) => {
  const { config, sources } = await loadConfig(options.config, connectors);
  out(`${options.config}: OK — ${sources.length} source(s), ${config.goals.length} goal(s), ${config.recipients.length} recipient(s), time zone ${config.timezone}, currency ${config.currency}`);
});

withCommon(program.command('sync').description('read the sources into the lake (incremental; --from/--to to backfill)'))
  .option('--source <id>', 'only this source')
  .option('--from <date>', 'backfill from this date (YYYY-MM-DD)')
  .option('--to <date>', 'backfill up to this date (YYYY-MM-DD)')
  .action(async (options: CommonOptions & { source?: string; from?: string; to?: string }) => {
    for (const [flag, value] of [['--from', options.from], ['--to', options.to]] as const) {
      if (value !== undefined && !isIsoDate(value)) throw new UsageError(`${flag} must be a date as YYYY-MM-DD, not "${value}"`);
    }
    await withContext(options, true, async (context) => {
      const results = await sync(context, options);
      if (results.some((r) => r.status === 'partial')) process.exitCode = 3;
    });
  });

withCommon(program.command('snapshot').description('compute KPI snapshots from the lake')).action(async (options: CommonOptions) => {
  await withContext(options, false, async (context) => {
    await snapshot(context, await context.openEngine());
  });
});

withCommon(program.command('notify').description('evaluate goals on the latest snapshot and send alert emails')).action(async (options: CommonOptions) => {
  await withContext(options, false, async (context) => {
    const engine = await context.openEngine();
    const date = options.asOf ?? (await latestSnapshotDate(engine));
    if (!date) throw new UsageError('no KPI snapshot in the lake yet: run `kpi snapshot` (or `kpi run`) first');
    await notify(context, await readSnapshot(engine, date), date);
  });
});

withCommon(program.command('run').description('one full pass: sync → snapshot → notify')).action(async (options: CommonOptions) => {
  await withContext(options, true, (context) => runAll(context));
});

withCommon(program.command('demo').description('the whole job on the bundled example config and sandboxes: no AWS, no credentials'), { config: exampleConfig })
  .action(async (options: CommonOptions) => {
    const started = Date.now();
    await withContext(options, true, (context) => runAll(context));
    out(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Try: npx kpi query "select channel_group, sum(sessions) from ga4_traffic_daily group by 1 order by 2 desc" --data-dir ${options.dataDir}`);
  });

program.command('query').description('run SQL over the local lake (public table names, DuckDB)')
  .argument('<sql>', 'the query, in the Trino/DuckDB common subset')
  .option('-d, --data-dir <dir>', 'where the local lake lives', '.kpi')
  .option('-c, --config <file>', 'pipeline config, for the tables its sources add (e.g. Salesforce custom objects); default pipeline.yaml when present')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (sql: string, options: { dataDir: string; format: 'table' | 'json'; config?: string }) => {
    const configFile = options.config ?? (existsSync('pipeline.yaml') ? 'pipeline.yaml' : undefined);
    const catalog = configFile ? (await loadConfig(configFile, connectors)).catalog : defaultLakeCatalog;
    const engine = await DuckDbEngine.open({ lakeRoot: path.resolve(options.dataDir, 'lake'), ...catalog });
    try {
      const rows = await engine.query(sql);
      if (options.format === 'json') out(JSON.stringify(rows, null, 2));
      else printRows(rows, out);
    } finally {
      await engine.close();
    }
  });

program.command('sandbox').description('start the sandbox of every source in the config and print their URLs and tokens (Ctrl-C to stop)')
  .option('-c, --config <file>', 'pipeline config whose sources to serve', exampleConfig)
  .option('--faults <plan>', 'inject HTTP faults into every sandbox, e.g. 429:0.1@2s,500:0.05,reset:0.02,truncate:0.02,slow:0.05@200ms,fail-on:3 (grammar: connectors/sandbox-kit/faults.ts)')
  .action(async (options: { config: string; faults?: string }) => {
    if (options.faults !== undefined) {
      let plan;
      try {
        plan = parseFaultPlan(options.faults);
      } catch (error) {
        throw error instanceof FaultPlanError ? new UsageError(`--faults: ${error.message}`) : error;
      }
      setProcessFaultPlan({ ...plan, onFault: (f) => log.info(`fault ${f.kind}${f.status ? ` ${f.status}` : ''} on request ${f.request}: ${f.method} ${f.path}`) });
      out(`Faults in every sandbox: ${describeFaultPlan(plan)}`);
    }
    const { sources } = await loadConfig(options.config, connectors);
    const anchorDate = todayIn('Asia/Seoul');
    const running: RunningSandbox[] = [];
    try {
      for (const source of sources) {
        if (!source.connector.startSandbox) continue;
        const started = await source.connector.startSandbox(source.config, { anchorDate });
        running.push(started.sandbox);
        out(`${source.config.id.padEnd(12)} ${source.connector.type.padEnd(11)} ${started.sandbox.url}   token: ${Object.values(started.secrets).join(', ')}`);
      }
      out(`\nSandbox data runs through ${anchorDate}. Ctrl-C to stop.`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    } finally {
      await Promise.all(running.map((s) => s.stop()));
    }
  });

async function sync(context: CliContext, options: { source?: string; from?: string; to?: string } = {}) {
  out(`Syncing into ${context.lakeDir} (through ${context.asOf})`);
  const results = await runSync({
    config: context.loaded.config, sources: context.sources, store: context.store, secrets: context.secrets, log: context.log, lastCompleteDay: context.asOf,
    ...(options.source ? { onlySource: options.source } : {}),
    ...(options.from || options.to ? { backfill: { ...(options.from ? { from: options.from } : {}), ...(options.to ? { to: options.to } : {}) } } : {}),
  });
  formatSyncResults(results).forEach((l) => out(l));
  return results;
}

async function snapshot(context: CliContext, engine: DuckDbEngine) {
  const result = await runSnapshot({
    config: context.loaded.config, sources: context.sources, store: context.store, engine, asOf: context.asOf,
    views: context.loaded.catalog.views, kpis: context.loaded.kpis, log: context.log,
  });
  out(`KPI snapshot ${context.asOf}: ${result.rows.length.toLocaleString('en-US')} rows from ${result.queries} queries → ${result.key}`);
  const byReason = Map.groupBy(result.skipped, (s) => s.reason);
  for (const [reason, kpis] of byReason) out(`  not computed (${reason}): ${kpis.map((k) => k.kpi).join(', ')}`);
  return result;
}

async function notify(context: CliContext, rows: Parameters<typeof runNotify>[0]['snapshot'], date: string) {
  const result = await runNotify({
    config: context.loaded.config, snapshot: rows, snapshotDate: date, mailer: context.mailer, store: context.store, kpis: context.loaded.kpis,
    sources: context.sources, views: context.loaded.catalog.views, log: context.log,
  });
  for (const l of result.late) out(`  LATE ${l.source}/${l.stream}: newest complete day ${l.newestDay ?? 'none'}, expected ${l.expectedDay}`);
  out(`Goals (as of ${date})`);
  formatEvaluations(result.evaluations, context.loaded.config.currency).forEach((l) => out(l));
  out(`Emails: ${result.sent.length} sent via ${context.mailer.description}`);
  formatSent(result.sent).forEach((l) => out(l));
  return result;
}

async function runAll(context: CliContext) {
  const results = await sync(context);
  const engine = await context.openEngine();
  const { rows } = await snapshot(context, engine);
  await notify(context, rows, context.asOf);
  out('Tables');
  (await formatTableCounts(engine, [...context.loaded.catalog.tables, ...context.loaded.catalog.views])).forEach((l) => out(l));
  out(`Files: lake ${displayPath(context.lakeDir)}, outbox ${displayPath(context.outboxDir)} (each .eml has an .html preview beside it)`);
  if (results.some((r) => r.status === 'partial')) {
    out('Some sources stopped early (see PARTIAL above); the next run continues where they stopped.');
    process.exitCode = 3;
  }
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof KpiError && error.userFacing) {
    process.stderr.write(`kpi: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`kpi: ${describeChain(error)}\n`);
    if (process.env.KPI_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    else process.stderr.write('(set KPI_DEBUG=1 for the stack trace)\n');
    process.exitCode = 1;
  }
}

function describeChain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e && parts.length < 4; e = (e as { cause?: unknown }).cause) {
    const context = e instanceof KpiError && Object.keys(e.context).length > 0 ? ` ${JSON.stringify(e.context)}` : '';
    parts.push(`${e instanceof Error ? e.message : String(e)}${context}`);
  }
  return parts.join('\n  caused by: ');
}
