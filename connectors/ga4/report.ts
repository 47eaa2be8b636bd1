import { z } from 'zod';

/** The parts of a runReport response the connector relies on, parsed at the boundary. */
const Value = z.object({ value: z.string().optional() });

export const RunReportResponse = z.object({
  dimensionHeaders: z.array(z.object({ name: z.string() })).default([]),
  metricHeaders: z.array(z.object({ name: z.string(), type: z.string().optional() })).default([]),
  // Absent (not empty) when nothing matches.
  rows: z.array(z.object({ dimensionValues: z.array(Value).default([]), metricValues: z.array(Value).default([]) })).default([]),
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

export function toReportRecords(response: RunReportResponse): ReportRecord[] {
  const dims = response.dimensionHeaders.map((h) => h.name);
  const mets = response.metricHeaders.map((h) => h.name);
  return response.rows.map((row) => {
    const record: Record<string, string | undefined> = {};
    dims.forEach((name, i) => (record[name] = row.dimensionValues[i]?.value));
    mets.forEach((name, i) => (record[name] = row.metricValues[i]?.value));
    return record;
  });
}
