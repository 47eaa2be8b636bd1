import { afterEach, describe, expect, it } from 'vitest';
import type { StreamDefinition, StreamEvent } from '../../core/connector.ts';
import { LakeError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { readStreamState } from '../../core/lake/state-store.ts';
import { silentLogger } from '../../core/log.ts';
import { syncStream } from '../../core/sync/sync-stream.ts';
import type { TableSchema } from '../../core/table/schema.ts';
import { decodeParquetRows } from '../support/parquet-rows.ts';
import { RecordingStore } from '../support/recording-store.ts';
import { tempDirs } from '../support/temp-dir.ts';

const dirs = tempDirs('kpi-sync-rejects-');
afterEach(() => dirs.removeAll());

const table: TableSchema = {
  name: 'demo_daily', description: 'a report', location: 'raw/demo_daily',
  columns: [{ name: 'date', type: 'date', nullable: false, description: 'day' }, { name: 'n', type: 'int64', description: 'count' }],
};

/** A report stream that yields the given events. */
function streamOf(events: readonly StreamEvent[]): StreamDefinition {
  return {
    table, primaryKey: ['date'], cursorField: 'date', partitionField: 'date', writeMode: 'overwrite_partition', lookbackDays: 1,
    async *read() {
      yield* events;
    },
  };
}

const odd = { reason: 'demo n is not a number: "n/a"', field: 'n', raw: { date: '2026-11-01', n: 'n/a', note: '한글 🎉' } };

async function run(events: readonly StreamEvent[]) {
  const root = await dirs.make();
  const store = new RecordingStore(new LocalFolderStore(root));
  const sync = syncStream({
    store, sourceId: 'demo', stream: streamOf(events), runId: '20261102000000', lastCompleteDay: '2026-11-01',
    initialFrom: '2026-11-01', log: silentLogger, runDate: '2026-11-02',
  });
  return { store, sync, state: () => readStreamState(store, 'demo', 'demo_daily') };
}

describe('syncStream and rejected records', () => {
  it('writes them to _rejects with the checkpoint, before the cursor, and counts them', async () => {
    // Prepare
    const { store, sync, state } = await run([
      { kind: 'rows', rows: [{ date: '2026-11-01', n: 3 }], rejected: [odd] },
      { kind: 'checkpoint', through: '2026-11-01', covers: { from: '2026-11-01', to: '2026-11-01' } },
    ]);

    // Act
    const result = await sync;

    // Assess
    expect(result).toMatchObject({ status: 'ok', rows: 1, rejected: 1, cursor: '2026-11-01' });
    const puts = store.calls.filter((c) => c.operation === 'put').map((c) => c.keys[0]);
    expect(puts).toEqual([
      'raw/demo_daily/dt=2026-11-01/demo.parquet',
      'raw/_rejects/dt=2026-11-02/demo-demo_daily-20261102000000-0.parquet',
      '_state/demo/demo_daily.json',
    ]);
    const [reject] = decodeParquetRows((await store.get(puts[1]!))!);
    expect(reject).toMatchObject({ source_id: 'demo', stream: 'demo_daily', reason: odd.reason, field: 'n', run_id: '20261102000000' });
    expect(JSON.parse(String(reject!.raw_payload))).toEqual(odd.raw);
    expect((await state())?.cursor).toBe('2026-11-01');
  });

  it('refuses to end with rejected records no checkpoint covers, writing neither them nor a cursor', async () => {
    // Prepare
    const { store, sync, state } = await run([{ kind: 'rows', rows: [], rejected: [odd] }]);

    // Act
    const failure = await sync.catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(LakeError);
    expect(String((failure as Error).message)).toContain('ended without a checkpoint');
    expect(store.calls).toEqual([]);
    expect(await state()).toBeUndefined();
  });

  it('leaves rejected records after the last checkpoint to the next run on a partial stop, like their rows', async () => {
    // Prepare
    const { store, sync, state } = await run([
      { kind: 'rows', rows: [{ date: '2026-11-01', n: 3 }], rejected: [odd] },
      { kind: 'partial', reason: 'quota nearly used' },
    ]);

    // Act
    const result = await sync;

    // Assess
    expect(result).toMatchObject({ status: 'partial', rows: 0, rejected: 0 });
    expect(store.calls.filter((c) => c.keys.some((k) => k.startsWith('raw/')))).toEqual([]);
    expect(await state()).toBeUndefined();
  });
});

describe('syncStream holding rows until their checkpoint', () => {
  it('writes each partition the rows of every event for it, in order, however the events interleave', async () => {
    // Prepare: two days, their rows spread over three events in turn
    const day = (date: string, from: number) => Array.from({ length: 700 }, (_, i) => ({ date, n: from + i }));
    const { store, sync } = await run([
      { kind: 'rows', rows: [...day('2026-10-31', 0), ...day('2026-11-01', 0)] },
      { kind: 'rows', rows: day('2026-11-01', 700) },
      { kind: 'rows', rows: [...day('2026-10-31', 700), ...day('2026-11-01', 1_400)] },
      { kind: 'checkpoint', through: '2026-11-01', covers: { from: '2026-10-31', to: '2026-11-01' } },
    ]);
    // Act
    const result = await sync;
    // Assess
    expect(result).toMatchObject({ status: 'ok', rows: 3_500, files: 2 });
    const ns = async (dt: string) => decodeParquetRows((await store.get(`raw/demo_daily/dt=${dt}/demo.parquet`))!).map((r) => Number(r.n));
    expect(await ns('2026-10-31')).toEqual(Array.from({ length: 1_400 }, (_, i) => i));
    expect(await ns('2026-11-01')).toEqual(Array.from({ length: 2_100 }, (_, i) => i));
  });

  it('stops at a row the table cannot hold, naming it, and writes neither files nor a cursor', async () => {
    // Prepare: the second row of the day has text where the table has an int64
    const { store, sync, state } = await run([
      { kind: 'rows', rows: [{ date: '2026-11-01', n: 1 }, { date: '2026-11-01', n: 'many' }] },
      { kind: 'checkpoint', through: '2026-11-01', covers: { from: '2026-11-01', to: '2026-11-01' } },
    ]);
    // Act
    const failure = await sync.catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(LakeError);
    expect((failure as Error).message).toBe('column demo_daily.n (int64) cannot hold "many" (row 1)');
    expect(store.calls).toEqual([]);
    expect(await state()).toBeUndefined();
  });

  it('refuses a schema change after rows, which the rows held would not match', async () => {
    // Prepare
    const { store, sync } = await run([
      { kind: 'rows', rows: [{ date: '2026-11-01', n: 1 }] },
      { kind: 'schema', columns: [...table.columns, { name: 'extra', type: 'string', description: 'late' }] },
    ]);
    // Act
    const failure = await sync.catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(LakeError);
    expect((failure as Error).message).toBe('stream changed its schema after yielding rows; a schema event must come first');
    expect(store.calls).toEqual([]);
  });
});
