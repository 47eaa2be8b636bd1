import { z } from 'zod';
import { RecordError, shownValue } from '../../core/errors.ts';
import { JsonItems } from '../../core/json/json-items.ts';

/** A page's rows: an array, or the lazily parsed rows of a body read by the client (JsonItems). */
export type RowList = Iterable<unknown> & { readonly length: number };

/**
 * The parts of a runReport response the connector relies on, parsed at the boundary. The rows are
 * checked one at a time as they are mapped (`toReportRecord`), not here: a malformed row then goes
 * to `_rejects` instead of failing its page, and a 100,000-row page is not copied by the parser.
 */

export const RunReportResponse = z.object({
  dimensionHeaders: z.array(z.object({ name: z.string() })).default([]),
  metricHeaders: z.array(z.object({ name: z.string(), type: z.string().optional() })).default([]),
  // Absent (not empty) when nothing matches.
  rows: z.custom<RowList>((value) => Array.isArray(value) || value instanceof JsonItems, { message: 'rows is not an array' }).default([]),
  rowCount: z.number().int().optional(),
  metadata: z.object({ currencyCode: z.string().optional(), timeZone: z.string().optional() }).loose().optional(),
  propertyQuota: z.object({
    tokensPerDay: z.object({ consumed: z.number().optional(), remaining: z.number().optional() }).optional(),
    tokensPerHour: z.object({ consumed: z.number().optional(), remaining: z.number().optional() }).optional(),
  }).loose().optional(),
}).loose();
export type RunReportResponse = z.infer<typeof RunReportResponse>;

export interface RunReportRequest {
  readonly dateRanges: ReadonlyArray<{ readonly startDate: string; readonly endDate: string }>;
  readonly dimensions: ReadonlyArray<{ readonly name: string }>;
  readonly metrics: ReadonlyArray<{ readonly name: string }>;
  readonly limit: number;
  readonly offset: number;
  readonly returnPropertyQuota: boolean;
  readonly keepEmptyRows: boolean;
}

/** One report row keyed by header name: `{ date: '20261122', sessions: '123', … }`. */
export type ReportRecord = Readonly<Record<string, string | undefined>>;

/** The header names of a page, in the order of each row's values. */
export interface ReportHeaders {
  readonly dimensions: readonly string[];
  readonly metrics: readonly string[];
}

export function headersOf(response: RunReportResponse): ReportHeaders {
  return { dimensions: response.dimensionHeaders.map((h) => h.name), metrics: response.metricHeaders.map((h) => h.name) };
}

/**
 * One wire row (`{ dimensionValues: [{ value }], metricValues: [{ value }] }`) keyed by header name.
 * A value GA4 left out or sent as null reads as missing; a number where the contract says string is
 * taken as its text; anything else (an object, a row that is not one) is a RecordError.
 */
export function toReportRecord(raw: unknown, headers: ReportHeaders): ReportRecord {
  const row = raw as { dimensionValues?: unknown; metricValues?: unknown } | null;
  if (typeof row !== 'object' || row === null) throw new RecordError(`GA4 row is not an object: ${shownValue(raw)}`);
  const record: Record<string, string | undefined> = {};
  readValues(row.dimensionValues ?? [], headers.dimensions, record, 'dimensionValues');
  readValues(row.metricValues ?? [], headers.metrics, record, 'metricValues');
  return record;
}

function readValues(values: unknown, names: readonly string[], into: Record<string, string | undefined>, list: string): void {
  if (!Array.isArray(values)) throw new RecordError(`GA4 row ${list} is not a list`, { field: list });
  for (let i = 0; i < names.length; i++) {
    const value = (values[i] as { value?: unknown } | null | undefined)?.value;
    if (value === undefined || value === null) into[names[i]!] = undefined;
    else if (typeof value === 'string') into[names[i]!] = value;
    else if (typeof value === 'number') into[names[i]!] = String(value);
    else throw new RecordError(`GA4 ${names[i]} is not a string: ${shownValue(value)}`, { field: names[i]! });
  }
}
