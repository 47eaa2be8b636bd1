import { z } from 'zod';
import { IsoDate } from '../../core/config/schema.ts';
import { JsonItems, parseArrayWithLazyArrays } from '../../core/json/json-items.ts';

/**
 * The searchStream wire format, parsed at the boundary. Google's REST (proto3 JSON) names fields in
 * lowerCamelCase, sends int64 as strings and doubles as numbers; a field left at its default may
 * be absent. searchStream answers a JSON array of batches (up to 10,000 rows each); a query with no
 * rows answers batches without `results`, or an empty array.
 */

/** int64: a decimal string on the wire (a plain number is tolerated). */
const Int64 = z.union([z.string().regex(/^-?\d+$/), z.number().int()]);
/*
 * Rows are not parsed here: the mapper checks each field as it reads it (mappers.ts), since a
 * schema parse of every row before reading it cost a ninth of a 1M-row write.
 */

/** A batch's rows: an array, or the lazily parsed rows of a body the client read (JsonItems); each is checked as it is mapped. */
export type RowList = Iterable<unknown> & { readonly length: number };

export const SearchStreamBatch = z.object({
  results: z.custom<RowList>((value) => Array.isArray(value) || value instanceof JsonItems, { message: 'results is not an array' }).default([]),
  fieldMask: z.string().optional(),
  requestId: z.string().optional(),
  queryResourceConsumption: Int64.optional(),
});
export type SearchStreamBatch = z.infer<typeof SearchStreamBatch>;

export const SearchStreamResponse = z.array(SearchStreamBatch);

/**
 * A searchStream body as bytes → its elements (batches, or an error status) with each batch's
 * `results` left as JsonItems, parsed a row at a time when mapped. Throws SyntaxError on a body that
 * is cut short or not JSON.
 */
export function splitSearchStream(body: Buffer): Array<{ readonly value: unknown; readonly results: JsonItems }> {
  return parseArrayWithLazyArrays(body, 'results').map(({ value, items }) => ({ value, results: items }));
}

/** One `GoogleAdsError`: `errorCode` is a oneof, e.g. `{ "quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED" }`. */
export const GoogleAdsError = z.object({
  errorCode: z.record(z.string(), z.unknown()).optional(),
  message: z.string().optional(),
  details: z.object({
    quotaErrorDetails: z.object({
      rateScope: z.string().optional(),
      rateName: z.string().optional(),
      /** A protobuf Duration in JSON: `"30s"`, `"0.500s"`. */
      retryDelay: z.string().optional(),
    }).optional(),
  }).optional(),
});
export type GoogleAdsError = z.infer<typeof GoogleAdsError>;

/** `google.rpc.Status` as REST sends it; Google Ads puts a `GoogleAdsFailure` in `details`. */
export const RpcStatus = z.object({
  error: z.object({
    code: z.number().int().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    details: z.array(z.object({ '@type': z.string().optional() }).loose()).default([]),
  }).loose(),
});
export type RpcStatus = z.infer<typeof RpcStatus>;

const GoogleAdsFailure = z.object({
  '@type': z.string().regex(/\/google\.ads\.googleads\.v\d+\.errors\.GoogleAdsFailure$/),
  errors: z.array(GoogleAdsError).default([]),
  requestId: z.string().optional(),
});

/**
 * An error body: unary methods send `{ error }`; searchStream sends its errors inside the stream,
 * `[{ error }]` (also after some batches when it fails midway). Undefined when the body holds no error.
 */
export function findRpcStatus(body: unknown): RpcStatus | undefined {
  const candidates = Array.isArray(body) ? body : [body];
  for (const candidate of candidates) {
    const parsed = RpcStatus.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/** The GoogleAdsErrors inside a status (none when Google answered a plain RPC status). */
export function googleAdsErrors(status: RpcStatus): { errors: GoogleAdsError[]; requestId: string | undefined } {
  for (const detail of status.error.details) {
    const failure = GoogleAdsFailure.safeParse(detail);
    if (failure.success) return { errors: failure.data.errors, requestId: failure.data.requestId };
  }
  return { errors: [], requestId: undefined };
}

/** `quotaError: RESOURCE_EXHAUSTED` → `"quotaError.RESOURCE_EXHAUSTED"`. */
export function errorCodeName(error: GoogleAdsError): string | undefined {
  const [entry] = Object.entries(error.errorCode ?? {});
  return entry ? `${entry[0]}.${String(entry[1])}` : undefined;
}

/** A protobuf Duration string (`"30s"`, `"1.5s"`) → ms. */
export function parseDuration(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/** A GAQL query over a date range (dates are in each account's time zone). */
export function gaqlQuery(options: { fields: readonly string[]; resource: string; from: string; to: string }): string {
  for (const date of [options.from, options.to]) {
    if (!IsoDate.safeParse(date).success) throw new TypeError(`GAQL date is not YYYY-MM-DD: ${JSON.stringify(date)}`);
  }
  return `SELECT ${options.fields.join(', ')} FROM ${options.resource} WHERE segments.date BETWEEN '${options.from}' AND '${options.to}'`;
}
