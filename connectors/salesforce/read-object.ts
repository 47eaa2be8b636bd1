import { z } from 'zod';
import type { ReadContext, StreamEvent } from '../../core/connector.ts';
import { SourceError } from '../../core/errors.ts';
import { toRejected, type RejectedRecord } from '../../core/sync/rejects.ts';
import type { Row, TableSchema } from '../../core/table/schema.ts';
import type { ApiUsage } from './api.ts';
import { SalesforceApiLimitError, type SalesforceClient } from './client.ts';
import type { SalesforceSourceConfig } from './config.ts';
import { cursorValueOf, planObject, toRow, versionOf, type ObjectPlan, type RowContext } from './mappers.ts';
import { changedSinceWhere, countSoql, readFrom, selectSoql } from './soql.ts';

/**
 * Reads one object incrementally and yields its rows with checkpoints:
 * 1. describe → the fields to read and the columns to write (a `schema` event when describe has
 *    fields beyond the declared columns: a field added in Salesforce becomes a column);
 * 2. on the first sync, `SELECT COUNT()` decides REST or Bulk API 2.0 — pinned in streamState;
 * 3. REST: queryAll ordered by the cursor field, a checkpoint after every batch (through = the newest
 *    SystemModstamp so far); Bulk: one queryAll job (no ORDER BY), files written after every results
 *    page, the cursor moved once the job is read (its rows are unordered);
 * 4. stops cleanly (`partial`) once the org's daily API usage passes `apiUsageLimitShare`, or
 *    Salesforce answers REQUEST_LIMIT_EXCEEDED.
 * Each run re-reads `overlapSeconds` before the cursor; versions already written in that window
 * (remembered in streamState) are not written twice, so a rerun without changes writes nothing.
 *
 * A record the mappers cannot read (a RecordError: see mappers.ts `toCell`) is yielded as rejected
 * beside its page's rows; the sync writes it to `_rejects` at the same checkpoint, before the
 * cursor. So the cursor may move past it (its SystemModstamp, when readable, counts like any
 * other's), and a quarantined version is remembered like a written one. A record whose
 * SystemModstamp cannot be read never moves the cursor: REST pages come in SystemModstamp order,
 * so the cursor, the newest readable value so far, still has every record up to it read (the
 * unreadable one included, in `_rejects`); a garbled value read leniently could jump the cursor
 * past records not read yet.
 */

/** A first run that found nothing: the next run reads from the beginning again. */
export const beginningOfTime = '1970-01-01T00:00:00.000Z';

/** The most (id, SystemModstamp) pairs kept to skip re-read versions; beyond it they are written again (harmless). */
const maxRemembered = 20_000;

/** What a stream keeps between runs. */
export const ObjectStreamState = z.object({
  /** The API this object is read with, chosen on its first sync and kept so output never changes shape. */
  api: z.enum(['rest', 'bulk']),
  cursorField: z.string(),
  /** `<id>|<ISO SystemModstamp>` of the versions written (or quarantined) inside the overlap window before the cursor. */
  written: z.array(z.string()).default([]),
}).loose();
export type ObjectStreamState = z.infer<typeof ObjectStreamState>;

export interface ObjectStreamSpec {
  readonly object: string;
  readonly table: TableSchema;
}

export async function* readObject(
  getClient: () => Promise<SalesforceClient>, config: SalesforceSourceConfig, spec: ObjectStreamSpec, context: ReadContext,
): AsyncGenerator<StreamEvent> {
  const stream = spec.table.name;
  const { object } = spec;
  const { log } = context;
  const client = await getClient();
  const overLimit = () => usageOverShare(client.apiUsage(), config.apiUsageLimitShare);
  try {
    const before = overLimit();
    if (before) {
      yield { kind: 'partial', reason: before };
      return;
    }
    const plan = planObject(await client.describe(object, stream), spec.table, { lead: config.lead });
    if (!plan.cursorField) {
      throw new SourceError(`Salesforce ${object} has no SystemModstamp, LastModifiedDate or CreatedDate, so it cannot be read incrementally`, {
        context: { source: config.id, stream },
      });
    }
    reportPlan(plan, config, context);
    if (plan.schemaChanged) yield { kind: 'schema', columns: plan.columns };

    const previous = ObjectStreamState.safeParse(context.streamState ?? {});
    const remembered = previous.success ? previous.data : undefined;
    const since = readFrom(context.cursor, config.overlapSeconds);
    const where = changedSinceWhere(plan.cursorField, since);
    const fields = plan.fields.map((f) => f.field);

    let api = remembered?.api;
    if (!api) {
      const stop = overLimit();
      if (stop) {
        yield { kind: 'partial', reason: stop };
        return;
      }
      const expected = await client.count(countSoql(object, where), stream);
      api = expected > config.bulkThreshold ? 'bulk' : 'rest';
      log.info(`${object}: ${expected.toLocaleString('en-US')} rows to read → ${api === 'bulk' ? 'Bulk API 2.0' : 'REST'} (bulkThreshold ${config.bulkThreshold.toLocaleString('en-US')}), pinned for later runs`);
    }
    log.info(`${object}: ${since ? `changes since ${since} (${plan.cursorField}, ${config.overlapSeconds} s overlap)` : 'the whole history'} via ${api === 'bulk' ? 'Bulk API 2.0' : 'REST'}`);

    const written = new WrittenVersions(remembered?.cursorField === plan.cursorField ? remembered.written : []);
    const state = (): ObjectStreamState => ({ api: api!, cursorField: plan.cursorField!, written: written.toJSON() });
    const mapRecords = (records: ReadonlyArray<Readonly<Record<string, unknown>>>) => mapPage(records, plan, { sourceId: config.id, syncedAt: new Date().toISOString() }, written);
    const rowsEvent = ({ rows, rejected }: MappedPage): StreamEvent[] => (
      rows.length > 0 || rejected.length > 0 ? [{ kind: 'rows', rows, ...(rejected.length > 0 ? { rejected } : {}) }] : []
    );

    let through = context.cursor;
    if (api === 'rest') {
      const soql = selectSoql({ object, fields, where, orderBy: plan.cursorField });
      for await (const page of client.queryAll(soql, { batchSize: config.pageSize }, stream)) {
        const mapped = mapRecords(page.records);
        yield* rowsEvent(mapped);
        through = later(through, mapped.newest);
        written.forget(through ?? beginningOfTime, config.overlapSeconds);
        yield { kind: 'checkpoint', through: through ?? beginningOfTime, streamState: state() };
        const stop = page.done ? undefined : overLimit();
        if (stop) {
          yield { kind: 'partial', reason: stop };
          return;
        }
        context.signal?.throwIfAborted();
      }
      return;
    }

    const job = await client.createBulkQuery(selectSoql({ object, fields, where }), stream);
    log.info(`${object}: Bulk API 2.0 query job ${job.id} created`);
    await client.waitForBulkJob(job.id, { pollIntervalMs: config.bulkPollIntervalMs, timeoutMs: config.bulkTimeoutSeconds * 1000 }, stream);
    const carried = written.toJSON();
    let newestInJob: string | undefined;
    for await (const page of client.bulkResults(job.id, { maxRecords: config.bulkPageSize }, stream)) {
      const mapped = mapRecords(page.records);
      newestInJob = later(newestInJob, mapped.newest);
      yield* rowsEvent(mapped);
      if (page.last) break;
      // Bulk rows come in no particular order: write what is read, but move the cursor only at the end.
      yield { kind: 'checkpoint', through: context.cursor ?? beginningOfTime, streamState: { ...state(), written: carried } };
      written.forget(later(context.cursor, newestInJob) ?? beginningOfTime, config.overlapSeconds, maxRemembered);
      const stop = overLimit();
      if (stop) {
        yield { kind: 'partial', reason: stop };
        return;
      }
      context.signal?.throwIfAborted();
    }
    through = later(through, newestInJob);
    written.forget(through ?? beginningOfTime, config.overlapSeconds);
    yield { kind: 'checkpoint', through: through ?? beginningOfTime, streamState: state() };
  } catch (error) {
    if (error instanceof SalesforceApiLimitError) {
      yield { kind: 'partial', reason: error.message };
      return;
    }
    throw error;
  }
}

/** A page of records, mapped. */
export interface MappedPage {
  /** Rows of the versions not handled before. */
  readonly rows: Row[];
  /** Records the mappers could not read, as they came (versions not handled before, or of no readable version). */
  readonly rejected: RejectedRecord[];
  /** The newest readable cursor value in the page, rejected records included; never from a value that cannot be read. */
  readonly newest: string | undefined;
}

/** The versions (Id, cursor value) a read has handled: written as rows or quarantined. */
export interface HandledVersions {
  has(id: string, modstamp: string): boolean;
  add(id: string, modstamp: string): void;
}

/**
 * Maps one page: each record to a row, or, when the mappers reject it (RecordError; any other
 * error is a bug and stops the read), to a rejected record with its raw payload. A version handled
 * before (the overlap re-read) is skipped either way.
 */
export function mapPage(
  records: ReadonlyArray<Readonly<Record<string, unknown>>>, plan: ObjectPlan, context: RowContext, handled: HandledVersions,
): MappedPage {
  const rows: Row[] = [];
  const rejected: RejectedRecord[] = [];
  let newest: string | undefined;
  for (const record of records) {
    const modstamp = cursorValueOf(record, plan);
    // ISO timestamps in UTC compare as text.
    if (modstamp !== undefined && (newest === undefined || modstamp > newest)) newest = modstamp;
    const version = modstamp === undefined ? undefined : versionOf(record, plan);
    if (version && handled.has(version.id, version.modstamp)) continue;
    try {
      rows.push(toRow(record, plan, context));
    } catch (error) {
      rejected.push(toRejected(error, record));
    }
    if (version) handled.add(version.id, version.modstamp);
  }
  return { rows, rejected, newest };
}

/** The reason to stop, when the org's daily API usage has passed the configured share of its limit. */
export function usageOverShare(usage: ApiUsage | undefined, share: number): string | undefined {
  if (!usage || usage.limit <= 0 || usage.used / usage.limit < share) return undefined;
  return `Salesforce daily API usage is ${usage.used.toLocaleString('en-US')} of ${usage.limit.toLocaleString('en-US')} requests, ` +
    `past the ${Math.round(share * 100)}% share this pipeline may use (apiUsageLimitShare)`;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function reportPlan(plan: ObjectPlan, config: SalesforceSourceConfig, context: ReadContext): void {
  const { log } = context;
  if (plan.cursorField !== 'SystemModstamp') {
    log.warn(`${plan.object} has no SystemModstamp: reading by ${plan.cursorField}, which also fills system_modstamp`);
  }
  if (plan.skipped.length > 0) log.debug(`${plan.object}: not read: ${plan.skipped.map((s) => `${s.field} (${s.reason})`).join(', ')}`);
  if ('mqlDate' in plan && !plan.mqlDate) log.warn(`Lead has no field ${config.lead.mqlDateField} (lead.mqlDateField): mql_date stays null`);
  if ('sqlDate' in plan && !plan.sqlDate) log.warn(`Lead has no field ${config.lead.sqlDateField} (lead.sqlDateField): sql_date stays null`);
}

/**
 * The versions (id, SystemModstamp) already written (or quarantined) that the next read may see again: those after
 * the next lower bound (cursor − overlap, floored to the second as the SOQL literal is).
 */
export class WrittenVersions implements HandledVersions {
  readonly #entries = new Map<string, number>();

  constructor(keys: readonly string[]) {
    for (const key of keys) {
      const cut = key.lastIndexOf('|');
      const millis = Date.parse(key.slice(cut + 1));
      if (cut > 0 && !Number.isNaN(millis)) this.#entries.set(key, millis);
    }
  }

  has(id: string, modstamp: string): boolean {
    return this.#entries.has(`${id}|${modstamp}`);
  }

  add(id: string, modstamp: string): void {
    this.#entries.set(`${id}|${modstamp}`, Date.parse(modstamp));
  }

  /** Drops what the next read starting at `through − overlap` cannot return; only above `atLeast` entries when given. */
  forget(through: string, overlapSeconds: number, atLeast = 0): void {
    if (this.#entries.size <= atLeast) return;
    const bound = Math.floor((Date.parse(through) - overlapSeconds * 1000) / 1000) * 1000;
    for (const [key, millis] of this.#entries) if (millis <= bound) this.#entries.delete(key);
  }

  toJSON(): string[] {
    return this.#entries.size > maxRemembered ? [] : [...this.#entries.keys()];
  }
}
