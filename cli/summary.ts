import path from 'node:path';
import { formatKpiValue } from '../core/email/format.ts';
import type { SentEmail } from '../core/email/mailer.ts';
import type { GoalEvaluation } from '../core/goals/evaluation.ts';
import type { QueryEngine } from '../core/query/query-engine.ts';
import type { StreamSyncResult } from '../core/sync/sync-stream.ts';
import type { TableSchema, ViewDefinition } from '../core/table/schema.ts';

const n = (value: number) => value.toLocaleString('en-US');

export function formatSyncResults(results: readonly StreamSyncResult[]): string[] {
  return results.map((r) => {
    const window = r.since !== undefined ? (r.since === null ? 'whole history' : `changes since ${r.since}`)
      : r.window ? `${r.window.from} … ${r.window.to}` : 'nothing new';
    const rejected = r.rejected > 0 ? `  ${n(r.rejected)} REJECTED → _rejects` : '';
    const note = `${rejected}${r.status === 'partial' ? `  PARTIAL: ${r.partialReason}` : ''}`;
    return `  ${r.source.padEnd(12)} ${r.stream.padEnd(30)} ${n(r.rows).padStart(8)} rows  ${n(r.files).padStart(4)} files  ${window}${note}`;
  });
}

export async function formatTableCounts(engine: QueryEngine, tables: ReadonlyArray<TableSchema | ViewDefinition>): Promise<string[]> {
  const lines: string[] = [];
  for (const table of tables) {
    const partitioned = 'location' in table ? table.partitioned !== false : table.columns.some((c) => c.name === 'dt');
    const [row] = await engine.query(`SELECT count(*) AS rows${partitioned ? ', count(DISTINCT dt) AS partitions' : ''} FROM ${table.name}`);
    const partitions = partitioned ? `  ${n(Number(row?.partitions ?? 0)).padStart(4)} partitions` : '';
    const kind = 'location' in table ? '' : '  (view)';
    lines.push(`  ${table.name.padEnd(28)} ${n(Number(row?.rows ?? 0)).padStart(8)} rows${partitions}${kind}`);
  }
  return lines;
}

export function formatEvaluations(evaluations: readonly GoalEvaluation[], currency: string): string[] {
  return evaluations.map((e) => {
    const actual = formatKpiValue(e.actual, e.kpi.unit, 'en', currency);
    const target = `${e.goal.direction === 'at_least' ? '≥' : '≤'} ${formatKpiValue(e.target, e.kpi.unit, 'en', currency)}`;
    const period = e.period ? `${e.goal.grain} ${e.period.start}…${e.period.end}` : e.goal.grain;
    const segment = e.goal.segment ? ` [${Object.entries(e.goal.segment).map(([k, v]) => `${k}=${v}`).join(', ')}]` : '';
    const status = e.status === 'no_data' && e.periodResult === 'insufficient_volume' ? 'NO_DATA (volume)' : e.status.toUpperCase();
    const pace = e.pace ? `  pace ${(e.pace.ratio * 100).toFixed(0)}%, projected ${formatKpiValue(e.pace.projected, e.kpi.unit, 'en', currency)}` : '';
    return `  ${status.padEnd(17)} ${(e.kpi.name.en + segment).padEnd(40)} ${actual.padStart(12)} vs ${target.padEnd(14)} ${period}  owner ${e.goal.owner}${pace}`;
  });
}

export function formatSent(sent: readonly SentEmail[]): string[] {
  return sent.map((s) => `  ${s.to.padEnd(28)} ${displayPath(s.location)}`);
}

/** Relative to the working directory when inside it, else absolute. */
export function displayPath(location: string): string {
  if (!path.isAbsolute(location)) return location;
  const relative = path.relative(process.cwd(), location);
  return relative === '' ? '.' : relative.startsWith('..') ? location : relative;
}
