import type { DateWindow, StreamDefinition } from '../connector.ts';
import { eachDay, maxDate, minDate } from '../dates.ts';
import { LakeError } from '../errors.ts';
import { appendToPartition, writePartition } from '../lake/lake-writer.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import { readStreamState, writeStreamState } from '../lake/state-store.ts';
import type { Logger } from '../log.ts';
import type { Row } from '../table/schema.ts';
import { planSyncWindow } from './sync-window.ts';

export interface StreamSyncResult {
  readonly source: string;
  readonly stream: string;
  readonly status: 'ok' | 'partial' | 'up_to_date';
  readonly window: DateWindow | null;
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
  readonly cursor: string | null;
  readonly partialReason?: string;
}

export interface SyncStreamOptions {
  readonly store: ObjectStore;
  readonly sourceId: string;
  readonly stream: StreamDefinition;
  readonly runId: string;
  readonly lastCompleteDay: string;
  readonly initialFrom: string;
  readonly backfill?: Partial<DateWindow>;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

const writeConcurrency = 4;

/**
 * Reads one stream and writes it to the lake. Rows are held per partition until the stream's
 * checkpoint says the partitions are complete; then the files are written and only then the cursor.
 */
export async function syncStream(options: SyncStreamOptions): Promise<StreamSyncResult> {
  const { store, sourceId, stream, log } = options;
  const name = stream.table.name;
  let state = await readStreamState(store, sourceId, name);
  const window = planSyncWindow({
    state, lookbackDays: stream.lookbackDays, initialFrom: options.initialFrom,
    lastCompleteDay: options.lastCompleteDay, ...(options.backfill ? { backfill: options.backfill } : {}),
  });
  if (!window) {
    log.info('up to date');
    return { source: sourceId, stream: name, status: 'up_to_date', window: null, rows: 0, files: 0, bytes: 0, cursor: state?.cursor ?? null };
  }
  log.info(`reading ${window.from} … ${window.to}`);

  const pending = new Map<string, Row[]>();
  let rows = 0, files = 0, bytes = 0, appendPart = 0;
  let partialReason: string | undefined;

  for await (const event of stream.read({ window, log, ...(options.signal ? { signal: options.signal } : {}) })) {
    if (event.kind === 'rows') {
      for (const row of event.rows) {
        const dt = row[stream.partitionField];
        if (typeof dt !== 'string') {
          throw new LakeError(`row without a ${stream.partitionField} date`, { context: { source: sourceId, stream: name } });
        }
        let bucket = pending.get(dt);
        if (!bucket) pending.set(dt, (bucket = []));
        bucket.push(row);
      }
    } else if (event.kind === 'checkpoint') {
      const partitions = stream.writeMode === 'overwrite_partition'
        ? [...eachDay(event.covers.from, event.covers.to)]
        : [...pending.keys()].sort();
      const outside = [...pending.keys()].filter((dt) => dt < event.covers.from || dt > event.covers.to);
      if (outside.length > 0) {
        throw new LakeError(`stream yielded rows for ${outside[0]}, outside its checkpoint ${event.covers.from} … ${event.covers.to}`, {
          context: { source: sourceId, stream: name },
        });
      }
      await forEachLimited(partitions, writeConcurrency, async (dt) => {
        const batch = pending.get(dt) ?? [];
        const written = stream.writeMode === 'overwrite_partition'
          ? await writePartition(store, stream.table, dt, sourceId, batch)
          : await appendToPartition(store, stream.table, dt, sourceId, options.runId, appendPart++, batch);
        pending.delete(dt);
        rows += written.rows;
        bytes += written.bytes;
        if (written.key) files++;
      });
      // The cursor never moves back: a backfill of old dates leaves it where it was.
      state = {
        version: 1,
        cursor: state ? maxDate(state.cursor, event.through) : event.through,
        firstDate: state ? minDate(state.firstDate, event.covers.from) : event.covers.from,
        updatedAt: new Date().toISOString(),
      };
      await writeStreamState(store, sourceId, name, state);
      log.info(`wrote ${event.covers.from} … ${event.covers.to}: ${rows.toLocaleString('en-US')} rows so far`);
    } else {
      partialReason = event.reason;
      break;
    }
  }

  if (pending.size > 0 && !partialReason) {
    throw new LakeError('stream ended without a checkpoint for its last rows; nothing after the last checkpoint was written', {
      context: { source: sourceId, stream: name },
    });
  }
  if (partialReason && state) {
    state = { ...state, partialReason, updatedAt: new Date().toISOString() };
    await writeStreamState(store, sourceId, name, state);
    log.warn(`stopped early: ${partialReason}; the next run continues from ${state.cursor}`);
  }
  return {
    source: sourceId, stream: name, status: partialReason ? 'partial' : 'ok', window, rows, files, bytes,
    cursor: state?.cursor ?? null, ...(partialReason ? { partialReason } : {}),
  };
}

async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(workers);
}
