/** The chaos figures per connector, as printed by `npm run chaos`. */
import type { TrialResult } from './trials.ts';

export interface ConnectorFigures {
  readonly type: string;
  readonly sourceId: string;
  readonly trials: number;
  readonly runs: number;
  readonly killsAtOperation: number;
  readonly killsAfterDelay: number;
  readonly faults: ReadonlyMap<string, number>;
  readonly vendorThrottle: string | undefined;
  readonly vendorThrottleTrials: number;
  readonly tables: ReadonlyMap<string, TableFigures>;
  readonly notInjected: string | undefined;
  readonly maxRetryWaitMs: number;
  readonly maxRunRetryWaitMs: number;
  readonly incomplete: number;
  /** `_rejects`, distinct records, summed over trials. */
  readonly quarantine: { readonly expected: number; readonly found: number; readonly missing: number; readonly unexpected: number };
}

export interface TableFigures {
  readonly kind: 'overwrite' | 'append' | 'view';
  readonly rowsExpected: number;
  readonly rowsFound: number;
  readonly duplicates: number;
  readonly losses: number;
  readonly unexpected: number;
  readonly reappended: number;
  readonly beforeStart: number;
}

export function figuresByConnector(results: readonly TrialResult[]): ConnectorFigures[] {
  const byType = new Map<string, ConnectorFigures & { faults: Map<string, number>; tables: Map<string, TableFigures> }>();
  for (const result of results) {
    for (const target of result.targets) {
      let figures = byType.get(target.type);
      if (!figures) {
        figures = {
          type: target.type, sourceId: target.sourceId, trials: 0, runs: 0, killsAtOperation: 0, killsAfterDelay: 0,
          faults: new Map(), vendorThrottle: undefined, vendorThrottleTrials: 0, tables: new Map(), maxRetryWaitMs: 0, maxRunRetryWaitMs: 0, incomplete: 0,
          notInjected: target.notInjected, quarantine: { expected: 0, found: 0, missing: 0, unexpected: 0 },
        };
        byType.set(target.type, figures);
      }
      const kills = result.kills;
      Object.assign(figures, {
        trials: figures.trials + 1,
        runs: figures.runs + result.exitCodes.length,
        killsAtOperation: figures.killsAtOperation + kills.filter((k) => k.startsWith('op ')).length,
        killsAfterDelay: figures.killsAfterDelay + kills.filter((k) => k.endsWith(' ms')).length,
        vendorThrottle: figures.vendorThrottle ?? target.vendorThrottle,
        vendorThrottleTrials: figures.vendorThrottleTrials + (target.vendorThrottle ? 1 : 0),
        maxRetryWaitMs: Math.max(figures.maxRetryWaitMs, target.maxRetryWaitMs),
        maxRunRetryWaitMs: Math.max(figures.maxRunRetryWaitMs, target.maxRunRetryWaitMs),
        incomplete: figures.incomplete + (result.completed ? 0 : 1),
        quarantine: {
          expected: figures.quarantine.expected + target.quarantine.expected, found: figures.quarantine.found + target.quarantine.found,
          missing: figures.quarantine.missing + target.quarantine.missing, unexpected: figures.quarantine.unexpected + target.quarantine.unexpected,
        },
      });
      for (const [kind, count] of Object.entries(target.faults)) figures.faults.set(kind, (figures.faults.get(kind) ?? 0) + count);
      for (const table of target.tables) {
        const sum = figures.tables.get(table.table) ?? { kind: table.kind, rowsExpected: 0, rowsFound: 0, duplicates: 0, losses: 0, unexpected: 0, reappended: 0, beforeStart: 0 };
        figures.tables.set(table.table, {
          kind: table.kind,
          rowsExpected: sum.rowsExpected + table.rowsExpected, rowsFound: sum.rowsFound + table.rowsFound,
          duplicates: sum.duplicates + table.duplicates, losses: sum.losses + table.losses, unexpected: sum.unexpected + table.unexpected,
          reappended: sum.reappended + table.reappended, beforeStart: sum.beforeStart + table.beforeStart,
        });
      }
    }
  }
  return [...byType.values()];
}

const number = (n: number): string => n.toLocaleString('en-US');
const kindOrder = (kind: string): string => (/^\d/.test(kind) ? `0${kind}` : kind.startsWith('fail-on') ? `2${kind}` : kind === 'expire' ? '3' : `1${kind}`);

export function formatFigures(figures: readonly ConnectorFigures[]): string[] {
  const lines: string[] = [];
  for (const f of figures) {
    const faultKinds = [...f.faults.entries()].sort(([a], [b]) => kindOrder(a).localeCompare(kindOrder(b)));
    const injected = faultKinds.reduce((sum, [, n]) => sum + n, 0);
    lines.push(`${f.type} (source ${f.sourceId}): ${f.trials} trials, ${f.runs} runs, ${f.killsAtOperation + f.killsAfterDelay} kills ` +
      `(${f.killsAtOperation} at a lake operation, ${f.killsAfterDelay} after a delay)${f.incomplete > 0 ? `, ${f.incomplete} NOT FINISHED` : ''}`);
    lines.push(`  faults injected (${number(injected)}): ${faultKinds.map(([kind, n]) => `${kind} ${number(n)}`).join(', ') || 'none'}`);
    lines.push(`  vendor throttling: ${f.vendorThrottle ? `${f.vendorThrottle}, in ${f.vendorThrottleTrials} trials` : 'none in this sandbox (see the README)'}`);
    if (f.notInjected) lines.push(`  not injected: ${f.notInjected}`);
    const append = [...f.tables.values()].some((t) => t.kind === 'append');
    const before = [...f.tables.values()].reduce((sum, t) => sum + t.beforeStart, 0);
    lines.push(`  ${'table'.padEnd(46)} ${'rows expected'.padStart(13)} ${'rows found'.padStart(10)} ${'duplicates'.padStart(10)} ${'losses'.padStart(6)} ${'unexpected'.padStart(10)}` +
      (append ? '  re-read versions (append tables; the _latest views keep one)' : ''));
    for (const [table, t] of f.tables) {
      const name = t.kind === 'view' ? `${table} (view)` : t.kind === 'append' ? `${table} (versions)` : table;
      lines.push(`  ${name.padEnd(46)} ${number(t.rowsExpected).padStart(13)} ${number(t.rowsFound).padStart(10)} ${number(t.duplicates).padStart(10)} ${number(t.losses).padStart(6)} ${number(t.unexpected).padStart(10)}` +
        (t.kind === 'append' ? `  ${number(t.reappended)}` : ''));
    }
    if (before > 0) {
      lines.push(`  + ${number(before)} rows dated before the clean run's first day (not lost, not duplicated: a rerun's lookback reached before the first window; see the README)`);
    }
    const q = f.quarantine;
    lines.push(`  quarantined in _rejects (distinct records): ${number(q.found)} found, ${number(q.expected)} expected (the clean run's), ` +
      `${number(q.missing)} missing, ${number(q.unexpected)} unexpected`);
    lines.push(`  max retry wait: ${number(f.maxRetryWaitMs)} ms (one wait), ${number(f.maxRunRetryWaitMs)} ms (all waits of one run)`);
    lines.push('');
  }
  return lines;
}
