/**
 * The SOQL the connector sends (pure, unit-tested):
 *   SELECT <fields> FROM <Object> [WHERE SystemModstamp > 2026-11-22T01:02:03Z] ORDER BY SystemModstamp
 *   SELECT COUNT() FROM <Object> [WHERE …]
 * Bulk API 2.0 jobs get the same query without ORDER BY (it disables PK chunking there).
 * Datetime literals are unquoted UTC `YYYY-MM-DDThh:mm:ssZ` (the SOQL reference's format).
 */

/** An ISO timestamp → a SOQL datetime literal, floored to the second (so a bound never moves later). */
export function soqlDateTime(iso: string): string {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) throw new TypeError(`not an ISO timestamp: ${JSON.stringify(iso)}`);
  return new Date(Math.floor(millis / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The lower bound of an incremental read: the cursor minus the overlap; undefined on a first run. */
export function readFrom(cursor: string | undefined, overlapSeconds: number): string | undefined {
  if (cursor === undefined) return undefined;
  const millis = Date.parse(cursor);
  if (Number.isNaN(millis)) throw new TypeError(`not an ISO timestamp cursor: ${JSON.stringify(cursor)}`);
  return new Date(millis - overlapSeconds * 1000).toISOString();
}

export function changedSinceWhere(cursorField: string, since: string | undefined): string | undefined {
  return since === undefined ? undefined : `${cursorField} > ${soqlDateTime(since)}`;
}

export interface SelectQuery {
  readonly object: string;
  readonly fields: readonly string[];
  readonly where?: string | undefined;
  readonly orderBy?: string | undefined;
}

export function selectSoql(query: SelectQuery): string {
  if (query.fields.length === 0) throw new RangeError(`no fields to select from ${query.object}`);
  return `SELECT ${query.fields.join(', ')} FROM ${query.object}` +
    (query.where ? ` WHERE ${query.where}` : '') +
    (query.orderBy ? ` ORDER BY ${query.orderBy}` : '');
}

export function countSoql(object: string, where?: string): string {
  return `SELECT COUNT() FROM ${object}${where ? ` WHERE ${where}` : ''}`;
}
