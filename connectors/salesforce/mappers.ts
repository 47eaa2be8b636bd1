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

/** One REST or Bulk record → one row with every column of the plan. */
export function toRow(record: Readonly<Record<string, unknown>>, plan: ObjectPlan, context: RowContext): Row {
  const row: Row = {};
  for (const column of plan.columns) row[column.name] = null;
  for (const field of plan.fields) row[field.column] = toCell(record[field.field], field.salesforceType, field.type, field.field);
  const cursor = plan.cursorField ? toCell(record[plan.cursorField], 'datetime', 'timestamp', plan.cursorField) : null;
  if (typeof cursor !== 'string') {
    throw new TypeError(`Salesforce ${plan.object} record ${String(record.Id ?? '?')} has no ${plan.cursorField ?? 'SystemModstamp'}`);
  }
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

function dateFrom(record: Readonly<Record<string, unknown>>, source: FieldColumn | undefined): CellValue {
  return source ? toCell(record[source.field], source.salesforceType, 'date', source.field) : null;
}

/**
 * One field value → one cell of `type`. Empty strings are null (Bulk CSV cannot tell them apart and
 * Salesforce stores empty text as null). Throws a TypeError on a value the type cannot hold.
 */
export function toCell(value: unknown, salesforceType: string, type: ColumnType, field: string): CellValue {
  if (value === null || value === undefined || value === '') return null;
  const fail = (): never => {
    throw new TypeError(`Salesforce field ${field} (${salesforceType}) cannot be read as ${type}: ${JSON.stringify(value)?.slice(0, 60)}`);
  };
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return JSON.stringify(value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'TRUE' || value === 'True') return true;
      if (value === 'false' || value === 'FALSE' || value === 'False') return false;
      return fail();
    case 'int64': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.0+)?$/.test(value) ? Number(value) : Number.NaN;
      return Number.isSafeInteger(n) ? n : fail();
    }
    case 'double': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
      return Number.isFinite(n) ? n : fail();
    }
    case 'date': {
      if (typeof value !== 'string') return fail();
      if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return validDate(value) ?? fail();
      return toTimestamp(value)?.slice(0, 10) ?? fail();
    }
    case 'timestamp': {
      if (typeof value !== 'string') return fail();
      if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return validDate(value) ? `${value}T00:00:00.000Z` : fail();
      return toTimestamp(value) ?? fail();
    }
  }
}

function validDate(text: string): string | undefined {
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(text) ? text : undefined;
}

/** `2026-11-22T01:02:03.000+0000` (REST), `…Z` (Bulk), `+09:00` offsets → `2026-11-22T01:02:03.000Z`. */
export function toTimestamp(text: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})$/.exec(text);
  if (!match) return undefined;
  const zone = match[2] === 'Z' ? 'Z' : `${match[2]!.slice(0, 3)}:${match[2]!.slice(-2)}`;
  const millis = Date.parse(`${match[1]}${zone}`);
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
}
