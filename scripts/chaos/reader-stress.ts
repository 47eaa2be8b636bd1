/**
 * A DuckDB reader while a partition is rewritten: one writer replaces the partition (writePartition:
 * temp file + rename) as fast as it can while two readers query the table. Every answer must be one
 * whole version (never half of a file, never a mix). A query that fails is asked again, as a reader
 * would; the figures count both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writePartition } from '../../core/lake/lake-writer.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import type { Row, TableSchema } from '../../core/table/schema.ts';

export const readerTable: TableSchema = {
  name: 'reader_test_daily',
  description: 'rows rewritten while DuckDB reads them',
  location: 'raw/reader_test_daily',
  columns: [
    { name: 'date', type: 'date', nullable: false, description: 'day' },
    { name: 'id', type: 'int64', nullable: false, description: 'row id' },
    { name: 'label', type: 'string', description: 'text' },
    { name: 'value', type: 'double', nullable: false, description: 'a number' },
  ],
};

const dt = '2026-10-15';

export function readerRows(count: number, value: number): Row[] {
  return Array.from({ length: count }, (_, id) => ({ date: dt, id: BigInt(id), label: `행 ${id} 🚀 ${'x'.repeat(id % 50)}`, value }));
}

/** The two versions of the partition: 2,000 rows of 1 and 5,000 rows of 2; half of either can pass for neither. */
export const readerVersions = { a: readerRows(2_000, 1), b: readerRows(5_000, 2) };

export function figuresOf(rows: readonly Row[]): string {
  return `${rows.length} rows, sum ${rows.reduce((sum, r) => sum + (r.value as number), 0)}`;
}

export interface ReaderStressResult {
  readonly rewrites: number;
  readonly queries: number;
  /** Answers by what they showed: `<rows> rows, sum <n>`. */
  readonly answers: ReadonlyMap<string, number>;
  /** Failed queries by DuckDB's message (paths removed). */
  readonly failures: ReadonlyMap<string, number>;
  /** Failed queries that another try (after 10, 20, 40… ms) answered with a whole version. */
  readonly answeredOnRetry: number;
  /** Failed queries that five more tries could not answer. */
  readonly unanswered: number;
}

export async function stressReaderDuringRewrites(options: { durationMs: number; maxRewrites: number; readers?: number }): Promise<ReaderStressResult> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'kpi-chaos-reader-'));
  const store = new LocalFolderStore(root);
  const engine = await DuckDbEngine.open({ lakeRoot: root, tables: [readerTable] });
  const query = `SELECT count(*) AS n, sum(value) AS total FROM ${readerTable.name}`;
  const answers = new Map<string, number>();
  const failures = new Map<string, number>();
  let rewrites = 0;
  let queries = 0;
  let answeredOnRetry = 0;
  let unanswered = 0;
  const ask = async (): Promise<string> => {
    const [row] = await engine.query(query);
    return `${Number(row!['n'])} rows, sum ${Number(row!['total'])}`;
  };
  try {
    await writePartition(store, readerTable, dt, 'web', readerVersions.a);
    const stopAt = Date.now() + options.durationMs;
    const writer = (async () => {
      while (Date.now() < stopAt && rewrites < options.maxRewrites) {
        await writePartition(store, readerTable, dt, 'web', rewrites % 2 === 0 ? readerVersions.b : readerVersions.a);
        rewrites += 1;
      }
    })();
    const reader = async () => {
      while (Date.now() < stopAt) {
        queries += 1;
        try {
          const answer = await ask();
          answers.set(answer, (answers.get(answer) ?? 0) + 1);
        } catch (error) {
          const message = (error as Error).message.replace(/\/\S+\.parquet/g, '<file>').replace(/\d+/g, 'N');
          failures.set(message, (failures.get(message) ?? 0) + 1);
          let answered = false;
          for (let retry = 0; retry < 5 && !answered; retry++) {
            await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** retry));
            try {
              const answer = await ask();
              answers.set(answer, (answers.get(answer) ?? 0) + 1);
              answered = true;
            } catch {
              // asked again below
            }
          }
          if (answered) answeredOnRetry += 1;
          else unanswered += 1;
        }
      }
    };
    await Promise.all([writer, ...Array.from({ length: options.readers ?? 2 }, reader)]);
    return { rewrites, queries, answers, failures, answeredOnRetry, unanswered };
  } finally {
    await engine.close();
    await rm(root, { recursive: true, force: true });
  }
}
