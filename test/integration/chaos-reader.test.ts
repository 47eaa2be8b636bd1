import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionPrefix } from '../../core/lake/lake-writer.ts';
import { encodeParquet } from '../../core/lake/parquet.ts';
import { DuckDbEngine } from '../../core/query/duckdb-engine.ts';
import { figuresOf, readerTable, readerVersions, stressReaderDuringRewrites } from '../../scripts/chaos/reader-stress.ts';

const dirs: string[] = [];
const engines: DuckDbEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

// DuckDB reads a Parquet file's footer and its data through separate opens by path; a rename that
// lands in between makes that one query fail (it never answers with a mix). These are its messages.
const concurrentReplaceErrors = /Prefetch registered for bytes outside file|TProtocolException|invalid TType|Could not read enough bytes|No magic bytes found/;

describe('a DuckDB reader while a partition is rewritten (temp file + rename)', () => {
  it('answers with the old version or the new one, whole, over a bounded loop of rewrites and queries; a query that fails is answered on retry', async () => {
    // Act
    const result = await stressReaderDuringRewrites({ durationMs: 2_000, maxRewrites: 400 });

    // Assess
    expect([...result.answers.keys()].sort()).toEqual([figuresOf(readerVersions.a), figuresOf(readerVersions.b)].sort());
    expect(result.rewrites).toBeGreaterThanOrEqual(20);
    expect(result.queries).toBeGreaterThanOrEqual(20);
    for (const message of result.failures.keys()) expect(message).toMatch(concurrentReplaceErrors);
    expect(result.unanswered).toBe(0);
    expect(result.answeredOnRetry).toBe([...result.failures.values()].reduce((a, b) => a + b, 0));
  });

  it('control: a file caught halfway through a plain in-place write fails the same query (so a half file would be noticed)', async () => {
    // Prepare: what put() avoids — writing the target file in place.
    const root = await mkdtemp(path.join(os.tmpdir(), 'kpi-chaos-reader-'));
    dirs.push(root);
    const engine = await DuckDbEngine.open({ lakeRoot: root, tables: [readerTable] });
    engines.push(engine);
    const body = encodeParquet(readerTable, readerVersions.b);
    const folder = path.join(root, ...partitionPrefix(readerTable, '2026-10-15').split('/'));
    await mkdir(folder, { recursive: true });
    const file = await open(path.join(folder, 'web.parquet'), 'w');
    const query = `SELECT count(*) AS n, sum(value) AS total FROM ${readerTable.name}`;

    // Act: half the bytes are on disk when the reader comes.
    await file.write(body, 0, Math.floor(body.length / 2));
    const halfway = await engine.query(query).catch((error: unknown) => error);
    await file.write(body, Math.floor(body.length / 2));
    await file.close();
    const [whole] = await engine.query(query);

    // Assess
    expect((halfway as Error).message).toMatch(/No magic bytes found at end of file/);
    expect(`${Number(whole!['n'])} rows, sum ${Number(whole!['total'])}`).toBe(figuresOf(readerVersions.b));
  });
});
