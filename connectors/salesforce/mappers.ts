import { RecordError, shownValue } from '../../core/errors.ts';
import type { CellValue, Column, ColumnType, Row, TableSchema } from '../../core/table/schema.ts';
import type { DescribeField, DescribeResult } from './api.ts';
import { snakeCase } from './names.ts';
import { derivedColumnNames } from './tables.ts';

/**
 * Pure mapping from Salesforce records to lake rows. REST records carry JSON types (numbers,
 * booleans, `2026-11-22T01:02:03.000+0000`, null); Bulk API 2.0 CSV carries text (`"15000000.0"`,
 * `"true"`, `2026-11-22T01:02:03.000Z`, an empty string for null). Both become the same row.
 */

/** Salesforce field type → column type; `undefined` = not selected (compound, base64, anything opaque). */
export function columnTypeOf(salesforceType: string): ColumnType | undefined {
  switch (salesforceType) {
    case 'id': case 'reference': case 'string': case 'picklist': case 'multipicklist': case 'textarea':
    case 'phone': case 'email': case 'url': case 'combobox': case 'encryptedstring': case 'time':
      return 'string';
    case 'boolean': return 'boolean';
    case 'int': case 'long': return 'int64';
    case 'double': case 'percent': case 'currency': return 'double';
    case 'date': return 'date';
    case 'datetime': return 'timestamp';
    default: return undefined;
  }
}

/** Why a describe field is not read. Compound fields (address, location) are read through their components. */
export function skipReasonOf(salesforceType: string): string | undefined {
  if (salesforceType === 'address' || salesforceType === 'location') return 'compound field (its components are separate fields)';
  if (salesforceType === 'base64') return 'base64 (file body)';
  return columnTypeOf(salesforceType) === undefined ? `unsupported type ${salesforceType}` : undefined;
}

/** The fields an incremental cursor can run on, best first. */
export const cursorFieldCandidates = ['SystemModstamp', 'LastModifiedDate', 'CreatedDate'] as const;

export interface FieldColumn {
  /** API name, as describe spells it. */
  readonly field: string;
  readonly salesforceType: string;
  readonly column: string;
  /** The column's type: the declared one for declared columns, else the mapped describe type. */
  readonly type: ColumnType;
}

export interface ObjectPlan {
  readonly object: string;
  /** SystemModstamp, else LastModifiedDate, else CreatedDate; undefined when the object has none of them. */
  readonly cursorField: string | undefined;
  /** Fields to SELECT, in describe order. */
  readonly fields: readonly FieldColumn[];
  /** Every column to write: the declared ones (in order), then the other describe fields. */
  readonly columns: readonly Column[];
  /** True when `columns` differ from the declared ones (the stream yields a `schema` event). */
  readonly schemaChanged: boolean;
  /** Lead only: where mql_date / sql_date come from (undefined: the org lacks the field). */
  readonly mqlDate?: FieldColumn | undefined;
  readonly sqlDate?: FieldColumn | undefined;
  readonly skipped: ReadonlyArray<{ readonly field: string; readonly reason: string }>;
}

export interface PlanOptions {
  /** Lead: the configured date fields behind `mql_date` and `sql_date`. */
  readonly lead?: { readonly mqlDateField: string; readonly sqlDateField: string };
}

/** Which fields to read and which columns to write, from describe and the declared table. */
export function planObject(describe: DescribeResult, table: TableSchema, options: PlanOptions = {}): ObjectPlan {
  const declared = new Map(table.columns.map((c) => [c.name, c]));
  const fields: FieldColumn[] = [];
  const extras: Column[] = [];
  const skipped: Array<{ field: string; reason: string }> = [];
  const taken = new Set<string>();
  for (const field of describe.fields) {
    const reason = skipReasonOf(field.type);
    if (reason) {
      skipped.push({ field: field.name, reason });
      continue;
    }
    const column = snakeCase(field.name);
    if (taken.has(column) || derivedColumnNames.has(column)) {
      skipped.push({ field: field.name, reason: `column name ${column} is already taken` });
      continue;
    }
    taken.add(column);
    const known = declared.get(column);
    fields.push({ field: field.name, salesforceType: field.type, column, type: known?.type ?? columnTypeOf(field.type)! });
    if (!known) extras.push(extraColumn(field, column));
  }
  const byName = new Map(describe.fields.map((f) => [f.name.toLowerCase(), f]));
  const cursorField = cursorFieldCandidates.find((name) => byName.get(name.toLowerCase())?.type === 'datetime');
  const dateSource = (name: string | undefined) => (name ? fields.find((f) => f.field.toLowerCase() === name.toLowerCase()) : undefined);
  const lead = declared.has('mql_date') || declared.has('sql_date') ? options.lead : undefined;
  return {
    object: describe.name,
    cursorField: cursorField ? byName.get(cursorField.toLowerCase())!.name : undefined,
    fields,
    columns: [...table.columns, ...extras],
    schemaChanged: extras.length > 0,
    ...(lead ? { mqlDate: dateSource(lead.mqlDateField), sqlDate: dateSource(lead.sqlDateField) } : {}),
    skipped,
  };
}

function extraColumn(field: DescribeField, column: string): Column {
  const label = typeof field.label === 'string' && field.label !== '' ? `${field.label} ` : '';
  return { name: column, type: columnTypeOf(field.type)!, description: `${label}(${field.name}, ${field.type}${field.custom ? ', custom' : ''})` };
}

export interface RowContext {
  readonly sourceId: string;
  /** ISO timestamp of the read. */
  readonly syncedAt: string;
}

/**
 * One REST or Bulk record → one row with every column of the plan. Throws a RecordError naming the
 * field for a record the contract gives no way to read (see `toCell`); the record's identity is
 * checked first, so a record without a readable Id or cursor value is rejected for that.
 */
export function toRow(record: Readonly<Record<string, unknown>>, plan: ObjectPlan, context: RowContext): Row {
  const id = recordIdOf(record, plan);
  const cursor = cursorOf(record, plan, id);
  const row: Row = {};
  for (const column of plan.columns) row[column.name] = null;
  for (const field of plan.fields) row[field.column] = toCell(record[field.field], field.salesforceType, field.type, field.field);
  row.id = id;
  row.system_modstamp = cursor;
  row.modstamp_date = cursor.slice(0, 10);
  if ('mql_date' in row || 'sql_date' in row) {
    row.mql_date = dateFrom(record, plan.mqlDate);
    row.sql_date = dateFrom(record, plan.sqlDate);
  }
  row.source_id = context.sourceId;
  row.synced_at = context.syncedAt;
  return row;
}

/**
 * The version a record is, (Id, cursor value) as `toRow` would write them, when both can be read;
 * undefined otherwise. Never throws for a bad record, so a read can place a rejected record too.
 */
export function versionOf(record: Readonly<Record<string, unknown>>, plan: ObjectPlan): { readonly id: string; readonly modstamp: string } | undefined {
  const id = unlessRejected(() => recordIdOf(record, plan));
  const modstamp = cursorValueOf(record, plan);
  return id === undefined || modstamp === undefined ? undefined : { id, modstamp };
}

/** The record's cursor value (SystemModstamp, or the fallback field) as `toRow` would write it; undefined when it cannot be read. */
export function cursorValueOf(record: Readonly<Record<string, unknown>>, plan: ObjectPlan): string | undefined {
  return unlessRejected(() => cursorOf(record, plan, undefined));
}

function unlessRejected<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof RecordError) return undefined;
    throw error;
  }
}

/** The describe field holding the record Id (type `id`), as describe spells it. */
function idFieldOf(plan: ObjectPlan): string {
  return plan.fields.find((f) => f.salesforceType === 'id')?.field ?? 'Id';
}

function recordIdOf(record: Readonly<Record<string, unknown>>, plan: ObjectPlan): string {
  const field = idFieldOf(plan);
  const id = toCell(record[field], 'id', 'string', field);
  if (typeof id !== 'string') throw new RecordError(`Salesforce ${plan.object} record has no ${field}`, { field });
  return id;
}

function cursorOf(record: Readonly<Record<string, unknown>>, plan: ObjectPlan, id: string | undefined): string {
  const field = plan.cursorField ?? 'SystemModstamp';
  const cursor = plan.cursorField ? toCell(record[field], 'datetime', 'timestamp', field) : null;
  if (typeof cursor !== 'string') {
    throw new RecordError(`Salesforce ${plan.object} record ${id ?? String(record[idFieldOf(plan)] ?? '?')} has no ${field}`, { field });
  }
  return cursor;
}

function dateFrom(record: Readonly<Record<string, unknown>>, source: FieldColumn | undefined): CellValue {
  return source ? toCell(record[source.field], source.salesforceType, 'date', source.field) : null;
}

/**
 * One field value → one cell of `type`, as Salesforce's REST (JSON) and Bulk API 2.0 (CSV text)
 * contracts allow:
 * - null, a missing field and an empty string are null (CSV cannot tell them apart; Salesforce
 *   stores empty text as null);
 * - text: strings as they are (Korean, emoji, any length), numbers and booleans as their text;
 *   an object or array is rejected (no selected field is compound);
 * - id / reference: a 15- or 18-character record Id; a 15-character one becomes its 18-character
 *   case-safe form, as the REST API returns it;
 * - boolean: true / false, or their text in any case ('true' in CSV);
 * - int: an integer, or its decimal text ('12', '12.0'), within ±2^53;
 * - double / currency / percent: a number, or a decimal number as text ('15000000.0', '1.5E7');
 * - date: `YYYY-MM-DD`, a real calendar day (from a datetime field: its UTC date);
 * - datetime: `YYYY-MM-DDThh:mm:ss[.fff]` with `Z` or an offset (`+0000` REST, `Z` Bulk,
 *   `+09:00`), a real instant, kept in UTC.
 * Anything else (text in a number, `10/15/2026`, a datetime without its zone, an Id of 12
 * characters) throws a RecordError naming the field: the record goes to `_rejects`.
 */
export function toCell(value: unknown, salesforceType: string, type: ColumnType, field: string): CellValue {
  if (value === null || value === undefined || value === '') return null;
  const fail = (): never => {
    throw new RecordError(`Salesforce field ${field} (${salesforceType}) cannot be read as ${type}: ${shownValue(value)}`, { field });
  };
  switch (type) {
    case 'string':
      if (salesforceType === 'id' || salesforceType === 'reference') {
        if (typeof value !== 'string' || !/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(value)) {
          throw new RecordError(`Salesforce field ${field} (${salesforceType}) is not a 15- or 18-character record Id: ${shownValue(value)}`, { field });
        }
        return value.length === 15 ? caseSafeId(value) : value;
      }
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return fail();
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(?:true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      return fail();
    case 'int64': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^[+-]?\d+(?:\.0+)?$/.test(value) ? Number(value) : Number.NaN;
      return Number.isSafeInteger(n) ? n : fail();
    }
    case 'double': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && decimalNumber.test(value) ? Number(value) : Number.NaN;
      return Number.isFinite(n) ? n : fail();
    }
    case 'date': {
      if (typeof value !== 'string') return fail();
      if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return validDate(value) ?? fail();
      // A date column filled from a datetime field (mql_date from a datetime, say): its UTC date.
      return (salesforceType === 'datetime' ? toTimestamp(value)?.slice(0, 10) : undefined) ?? fail();
    }
    case 'timestamp': {
      if (typeof value !== 'string') return fail();
      // A timestamp column filled from a date field: midnight UTC of that day.
      if (salesforceType === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return validDate(value) ? `${value}T00:00:00.000Z` : fail();
      return toTimestamp(value) ?? fail();
    }
  }
}

/** A decimal number as text: what Bulk CSV writes for numbers (`15000000.0`, `-0.5`, `1.5E7`). No hex, no `Infinity`, no blanks. */
const decimalNumber = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function validDate(text: string): string | undefined {
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(text) ? text : undefined;
}

/**
 * `2026-11-22T01:02:03.000+0000` (REST), `…Z` (Bulk), `+09:00` offsets → `2026-11-22T01:02:03.000Z`.
 * Every part is checked (`2026-02-30`, `24:00:00` and a zone-less time are not read): Date.parse
 * alone would roll them over, or read them in the machine's time zone.
 */
export function toTimestamp(text: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):?(\d{2}))$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHours = match[10] === undefined ? 0 : Number(match[10]);
  const offsetMinutes = match[11] === undefined ? 0 : Number(match[11]);
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 14 || offsetMinutes > 59) return undefined;
  const date = `${match[1]}-${match[2]}-${match[3]}`;
  if (!validDate(date)) return undefined;
  const millis = Number((match[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const offset = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const instant = new Date(0);
  // setUTCFullYear, not Date.UTC, which reads years 0–99 as 1900–1999.
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute, second, millis);
  return new Date(instant.getTime() - offset).toISOString();
}

/** A 15-character record Id + its 3-character case-safe suffix (a letter per 5 characters: a bit per upper-case letter). */
export function caseSafeId(id15: string): string {
  let suffix = '';
  for (let block = 0; block < 3; block++) {
    let flags = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[block * 5 + i]!;
      if (c >= 'A' && c <= 'Z') flags |= 1 << i;
    }
    suffix += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'[flags]!;
  }
  return id15 + suffix;
}
