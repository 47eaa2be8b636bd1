import type { QueryRow } from '../core/query/query-engine.ts';

/** A plain text table for `kpi query --format table`. */
export function printRows(rows: readonly QueryRow[], out: (line: string) => void): void {
  if (rows.length === 0) {
    out('(no rows)');
    return;
  }
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((c) => (row[c] === null ? 'NULL' : String(row[c]))));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const line = (values: string[]) => values.map((v, i) => (typeof rows[0]![columns[i]!] === 'number' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  out(line(columns));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  cells.forEach((r) => out(line(r)));
  out(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
}
