import { QueryError } from '../errors.ts';
import { isIsoDate } from '../dates.ts';
import type { QueryParam } from './query-engine.ts';

/**
 * Values enter SQL only as quoted literals and identifiers only after a check, so a KPI or goal
 * definition can never inject SQL.
 */
export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function dateLiteral(date: string): string {
  if (!isIsoDate(date)) throw new QueryError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  return `DATE '${date}'`;
}

export function literal(value: QueryParam): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new QueryError(`not a finite number: ${value}`);
    return String(value);
  }
  return quoteString(value);
}

const identifierPattern = /^[a-z_][a-z0-9_]*$/;
export function identifier(name: string): string {
  if (!identifierPattern.test(name)) throw new QueryError(`not a plain identifier: ${JSON.stringify(name)}`);
  return name;
}

/** Replaces each `?` outside string literals, quoted identifiers and comments with the next parameter as a literal. */
export function bindParams(sql: string, params: readonly QueryParam[] = []): string {
  let out = '';
  let index = 0;
  let quote: "'" | '"' | null = null;
  let lineComment = false;
  for (let i = 0; i < sql.length; i++) {
    const char = sql[i]!;
    if (lineComment) {
      if (char === '\n') lineComment = false;
    } else if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '-' && sql[i + 1] === '-') {
      lineComment = true;
    } else if (char === '?') {
      if (index >= params.length) throw new QueryError(`query has more ? placeholders than the ${params.length} parameters given`);
      out += literal(params[index++]!);
      continue;
    }
    out += char;
  }
  if (index !== params.length) throw new QueryError(`query has ${index} ? placeholders but ${params.length} parameters were given`);
  return out;
}
