/**
 * Rest.li 2.0 query syntax, the way LinkedIn's versioned API parses query parameters
 * (`X-Restli-Protocol-Version: 2.0.0`): records as `(key:value,…)`, arrays as `List(a,b)`. The
 * characters `( ) , :` are the syntax, so inside a value they must be percent-encoded — a URN in a
 * List travels as `urn%3Ali%3AsponsoredAccount%3A123` — while the syntax itself stays unencoded.
 */

/** Percent-encodes a leaf value so none of Rest.li's syntax characters survive in it. */
export function encodeRestliValue(value: string): string {
  return encodeURIComponent(value).replace(/[()!*']/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `List(a,b)` with each item encoded. */
export function restliList(values: readonly string[]): string {
  return `List(${values.map(encodeRestliValue).join(',')})`;
}

/** `YYYY-MM-DD` → `(year:2026,month:1,day:31)` (no leading zeros: the fields are integers). */
export function restliDate(date: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new TypeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  return `(year:${Number(match[1])},month:${Number(match[2])},day:${Number(match[3])})`;
}

/** Both ends inclusive: `(start:(year:…,month:…,day:…),end:(…))`. */
export function restliDateRange(from: string, to: string): string {
  return `(start:${restliDate(from)},end:${restliDate(to)})`;
}

/** A query string from ordered pairs whose values are already in Rest.li form (nothing re-encoded). */
export function restliQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}
