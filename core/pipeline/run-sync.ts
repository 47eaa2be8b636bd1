import type { ConfiguredSource } from '../config/load-config.ts';
import type { PipelineConfig } from '../config/schema.ts';
import { writeFxRates } from '../models/fx-rates.ts';
import type { DateWindow } from '../connector.ts';
import { addDays } from '../dates.ts';
import { UsageError } from '../errors.ts';
import type { ObjectStore } from '../lake/object-store.ts';
import { acquireSourceLock } from '../lake/source-lock.ts';
import type { Logger } from '../log.ts';
import type { SecretStore } from '../secrets.ts';
import { syncStream, type StreamSyncResult } from '../sync/sync-stream.ts';
import { streamsOf } from './sources.ts';

export interface RunSyncOptions {
  readonly config: PipelineConfig;
  readonly sources: readonly ConfiguredSource[];
  readonly store: ObjectStore;
  readonly secrets: SecretStore;
  readonly log: Logger;
  readonly lastCompleteDay: string;
  readonly onlySource?: string;
  readonly backfill?: Partial<DateWindow>;
  readonly runId?: string;
  /** Aborts the reading (e.g. before Lambda's time limit): what was checkpointed stays, the rest is re-read next run. */
  readonly signal?: AbortSignal;
  /** How long to wait for another run that holds a source's lock; default 0: fail at once with who holds it. */
  readonly lockWaitMs?: number;
}

/** Syncs every stream of every (or one) source, one after another. */
export async function runSync(options: RunSyncOptions): Promise<StreamSyncResult[]> {
  const { store, secrets, log, lastCompleteDay } = options;
  const selected = options.onlySource ? options.sources.filter((s) => s.config.id === options.onlySource) : options.sources;
  if (options.onlySource && selected.length === 0) {
    throw new UsageError(`no source with id "${options.onlySource}"; the config has: ${options.sources.map((s) => s.config.id).join(', ') || 'none'}`);
  }
  const runId = options.runId ?? new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
  // A run killed mid-write (Lambda timeout, OOM, a Ctrl-C) can leave a temp file in a local lake.
  const swept = await options.store.sweepLeftovers?.();
  if (swept) log.info(`removed ${swept} unfinished temp file${swept === 1 ? '' : 's'} left by an earlier run`);
  // The reference table goes first, so the lake is queryable (ad_performance_daily) after any sync.
  await writeFxRates(store, options.config);
  const results: StreamSyncResult[] = [];
  for (const source of selected) {
    const initialFrom = initialStart(source.config as { startDate?: string; backfillDays?: number }, lastCompleteDay);
    // One run at a time per source: a second one waits (lockWaitMs) or stops with who holds it.
    const lock = await acquireSourceLock(store, source.config.id, {
      runId, log: log.child({ source: source.config.id }), ...(options.lockWaitMs === undefined ? {} : { waitMs: options.lockWaitMs }),
    });
    try {
      for (const stream of streamsOf(source, secrets, log)) {
        const streamLog = log.child({ source: source.config.id, stream: stream.table.name });
        results.push(await syncStream({
          store, sourceId: source.config.id, stream, runId, lastCompleteDay, initialFrom, log: streamLog,
          ...(options.backfill ? { backfill: options.backfill } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        }));
      }
    } finally {
      await lock?.release();
    }
  }
  return results;
}

function initialStart(config: { startDate?: string; backfillDays?: number }, lastCompleteDay: string): string {
  return config.startDate ?? addDays(lastCompleteDay, 1 - (config.backfillDays ?? 90));
}
