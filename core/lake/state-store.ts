import { z } from 'zod';
import { LakeError } from '../errors.ts';
import { IsoDate } from '../config/schema.ts';
import { getText, type ObjectStore } from './object-store.ts';

/**
 * Cursor state at `_state/<source-id>/<stream>.json`. It is written only after every file it
 * covers is written, so a crash in between re-reads data and never skips it.
 */
export const StreamState = z.object({
  version: z.literal(1),
  /** Every row up to and including this point has been written: a date (reports) or an ISO timestamp (incremental). */
  cursor: z.union([IsoDate, z.iso.datetime({ offset: true })]),
  /** The first date a report stream ever wrote; periods before it are not computed. Absent: the whole history was read. */
  firstDate: IsoDate.optional(),
  updatedAt: z.iso.datetime(),
  /** Set when the last run stopped early on purpose (quota, API limit). */
  partialReason: z.string().optional(),
  /** What the stream asked to keep (e.g. the API it pinned per object). */
  streamState: z.record(z.string(), z.unknown()).optional(),
});
export type StreamState = z.infer<typeof StreamState>;

export function stateKey(sourceId: string, stream: string): string {
  return `_state/${sourceId}/${stream}.json`;
}

export async function readStreamState(store: ObjectStore, sourceId: string, stream: string): Promise<StreamState | undefined> {
  const key = stateKey(sourceId, stream);
  const text = await getText(store, key);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LakeError(`state file ${key} is not valid JSON; delete it to re-sync that stream from the start`, { cause, context: { source: sourceId, stream } });
  }
  const parsed = StreamState.safeParse(json);
  if (!parsed.success) {
    throw new LakeError(`state file ${key} does not match the expected shape (${parsed.error.issues[0]?.message}); delete it to re-sync that stream`, {
      context: { source: sourceId, stream },
    });
  }
  return parsed.data;
}

export async function writeStreamState(store: ObjectStore, sourceId: string, stream: string, state: StreamState): Promise<void> {
  await store.put(stateKey(sourceId, stream), JSON.stringify(StreamState.parse(state), null, 2) + '\n', 'application/json');
}
