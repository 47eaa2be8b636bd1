/**
 * The SOQL the sandbox understands: the shapes a sync connector sends, parsed strictly so a connector
 * that sends something else hears about it the way Salesforce would tell it.
 *
 *   SELECT COUNT() | field [, field …] FROM Object
 *     [WHERE field op literal [AND field op literal …]]
 *     [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST] [, …]]
 *     [LIMIT n]
 *
 * op: = != <> < <= > >=. literal: datetime (2026-11-22T01:02:03Z, optional .SSS, or ±hh:mm — never
 * quoted), date (2026-11-22), number, 'string', TRUE, FALSE, NULL. Field and object names are
 * case-insensitive, as in SOQL.
 */
import type { SandboxField } from './describe.ts';
import type { FieldValue, SandboxRecord } from './seed-data.ts';

export class SoqlError extends Error {
  readonly errorCode: string;
  constructor(errorCode: string, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

type Literal =
  | { readonly kind: 'datetime'; readonly millis: number; readonly text: string }
  | { readonly kind: 'date'; readonly text: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' };

export interface Condition {
  readonly field: SandboxField;
  readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=';
  readonly value: Literal;
}

export interface ParsedQuery {
  readonly object: string;
  /** undefined for `SELECT COUNT()`. */
  readonly fields: readonly SandboxField[] | undefined;
  readonly where: readonly Condition[];
  readonly orderBy: ReadonlyArray<{ readonly field: SandboxField; readonly desc: boolean; readonly nullsLast: boolean }>;
  readonly limit: number | undefined;
}

interface Token {
  readonly kind: 'word' | 'number' | 'datetime' | 'date' | 'string' | 'op' | 'punct';
  readonly text: string;
}

const tokenPattern = /\s*(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))|(\d{4}-\d{2}-\d{2})(?![\d:T])|(-?\d+(?:\.\d+)?)(?![\w-])|('(?:[^'\\]|\\.)*')|(!=|<>|<=|>=|=|<|>)|([(),*])|([A-Za-z_][A-Za-z0-9_.]*))/y;

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  tokenPattern.lastIndex = 0;
  let at = 0;
  while (at < soql.length) {
    if (/^\s*$/.test(soql.slice(at))) break;
    tokenPattern.lastIndex = at;
    const match = tokenPattern.exec(soql);
    if (!match) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${soql.slice(at).trim().split(/\s+/)[0]}'`);
    at = tokenPattern.lastIndex;
    const [, datetime, date, number, string, op, punct, word] = match;
    if (datetime) tokens.push({ kind: 'datetime', text: datetime });
    else if (date) tokens.push({ kind: 'date', text: date });
    else if (number) tokens.push({ kind: 'number', text: number });
    else if (string) tokens.push({ kind: 'string', text: string.slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (op) tokens.push({ kind: 'op', text: op });
    else if (punct) tokens.push({ kind: 'punct', text: punct });
    else tokens.push({ kind: 'word', text: word! });
  }
  return tokens;
}

/** Parses a query against an org's metadata: `describeOf(object)` is undefined for an unknown object. */
export function parseSoql(soql: string, describeOf: (object: string) => { name: string; fields: readonly SandboxField[] } | undefined): ParsedQuery {
  const tokens = tokenize(soql);
  let position = 0;
  const peek = () => tokens[position];
  const isWord = (token: Token | undefined, word: string) => token?.kind === 'word' && token.text.toUpperCase() === word;
  const expectWord = (word: string) => {
    const token = tokens[position++];
    if (!isWord(token, word)) throw unexpected(token);
  };
  const unexpected = (token: Token | undefined) =>
    new SoqlError('MALFORMED_QUERY', token ? `unexpected token: '${token.text}'` : 'unexpected end of query');

  expectWord('SELECT');
  let count = false;
  const selected: string[] = [];
  if (isWord(peek(), 'COUNT') && tokens[position + 1]?.text === '(') {
    if (tokens[position + 2]?.text !== ')') throw unexpected(tokens[position + 2]);
    position += 3;
    count = true;
  } else {
    for (;;) {
      const token = tokens[position++];
      if (token?.kind !== 'word' || ['FROM', 'WHERE'].includes(token.text.toUpperCase())) throw unexpected(token);
      selected.push(token.text);
      if (peek()?.text !== ',') break;
      position++;
    }
  }
  expectWord('FROM');
  const objectToken = tokens[position++];
  if (objectToken?.kind !== 'word') throw unexpected(objectToken);
  const described = describeOf(objectToken.text);
  if (!described) {
    throw new SoqlError('INVALID_TYPE', `\nSELECT ${count ? 'COUNT()' : selected.join(', ')} FROM ${objectToken.text}\n` +
      `sObject type '${objectToken.text}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`);
  }
  const fieldOf = (name: string): SandboxField => {
    const field = described.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (!field) {
      throw new SoqlError('INVALID_FIELD', `No such column '${name}' on entity '${described.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`);
    }
    return field;
  };
  const fields = count ? undefined : selected.map(fieldOf);
  if (fields) {
    const seen = new Set<string>();
    for (const field of fields) {
      if (seen.has(field.name)) throw new SoqlError('MALFORMED_QUERY', `duplicate field selected: ${field.name}`);
      seen.add(field.name);
    }
  }

  const where: Condition[] = [];
  if (isWord(peek(), 'WHERE')) {
    position++;
    for (;;) {
      const fieldToken = tokens[position++];
      if (fieldToken?.kind !== 'word') throw unexpected(fieldToken);
      const field = fieldOf(fieldToken.text);
      const opToken = tokens[position++];
      if (opToken?.kind !== 'op') throw unexpected(opToken);
      const value = literal(tokens[position++], field);
      where.push({ field, op: opToken.text === '<>' ? '!=' : opToken.text as Condition['op'], value });
      if (!isWord(peek(), 'AND')) break;
      position++;
    }
  }

  const orderBy: Array<{ field: SandboxField; desc: boolean; nullsLast: boolean }> = [];
  if (isWord(peek(), 'ORDER')) {
    position++;
    expectWord('BY');
    for (;;) {
      const token = tokens[position++];
      if (token?.kind !== 'word') throw unexpected(token);
      const field = fieldOf(token.text);
      let desc = false;
      if (isWord(peek(), 'ASC') || isWord(peek(), 'DESC')) desc = tokens[position++]!.text.toUpperCase() === 'DESC';
      let nullsLast = desc;
      if (isWord(peek(), 'NULLS')) {
        position++;
        const which = tokens[position++];
        if (!isWord(which, 'FIRST') && !isWord(which, 'LAST')) throw unexpected(which);
        nullsLast = which!.text.toUpperCase() === 'LAST';
      }
      orderBy.push({ field, desc, nullsLast });
      if (peek()?.text !== ',') break;
      position++;
    }
  }

  let limit: number | undefined;
  if (isWord(peek(), 'LIMIT')) {
    position++;
    const token = tokens[position++];
    if (token?.kind !== 'number' || !/^\d+$/.test(token.text)) throw unexpected(token);
    limit = Number(token.text);
  }
  if (position < tokens.length) throw unexpected(tokens[position]);
  return { object: described.name, fields, where, orderBy, limit };
}

function literal(token: Token | undefined, field: SandboxField): Literal {
  if (!token) throw new SoqlError('MALFORMED_QUERY', 'unexpected end of query');
  const typeError = (expected: string) => new SoqlError('INVALID_FIELD',
    `value of filter criterion for field '${field.name}' must be of type ${expected} and should not be enclosed in quotes`);
  const isDateTimeField = field.type === 'datetime';
  const isDateField = field.type === 'date';
  switch (token.kind) {
    case 'datetime': {
      if (!isDateTimeField) throw new SoqlError('INVALID_FIELD', `value of filter criterion for field '${field.name}' must be of type ${field.type}`);
      const millis = Date.parse(token.text);
      if (Number.isNaN(millis)) throw new SoqlError('MALFORMED_QUERY', `invalid date/time: ${token.text}`);
      return { kind: 'datetime', millis, text: token.text };
    }
    case 'date':
      if (isDateTimeField) throw typeError('dateTime');
      if (!isDateField) throw new SoqlError('INVALID_FIELD', `value of filter criterion for field '${field.name}' must be of type ${field.type}`);
      return { kind: 'date', text: token.text };
    case 'number':
      return { kind: 'number', value: Number(token.text) };
    case 'string':
      if (isDateTimeField) throw typeError('dateTime');
      if (isDateField) throw typeError('date');
      return { kind: 'string', value: token.text };
    case 'word': {
      const upper = token.text.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE' };
      if (upper === 'NULL') return { kind: 'null' };
      throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${token.text}'`);
    }
    default:
      throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${token.text}'`);
  }
}

/** Comparable form of a stored value for its field type. */
function comparable(value: FieldValue, field: SandboxField): number | string | boolean | null {
  if (value === null || value === undefined) return null;
  if (field.type === 'datetime') return Date.parse(String(value));
  return value;
}

function literalValue(value: Literal): number | string | boolean | null {
  switch (value.kind) {
    case 'datetime': return value.millis;
    case 'date': return value.text;
    case 'number': return value.value;
    case 'string': return value.value;
    case 'boolean': return value.value;
    case 'null': return null;
  }
}

export function matches(record: SandboxRecord, conditions: readonly Condition[]): boolean {
  return conditions.every((condition) => {
    const left = comparable(record[condition.field.name] ?? null, condition.field);
    const right = literalValue(condition.value);
    if (right === null || left === null) {
      if (condition.op === '=') return left === right;
      if (condition.op === '!=') return left !== right;
      return false;
    }
    switch (condition.op) {
      case '=': return left === right;
      case '!=': return left !== right;
      case '<': return left < right;
      case '<=': return left <= right;
      case '>': return left > right;
      case '>=': return left >= right;
    }
  });
}

/** Orders records by the query's ORDER BY, ties by Id (stable across pages). */
export function sortRecords(records: SandboxRecord[], orderBy: ParsedQuery['orderBy']): SandboxRecord[] {
  return records.sort((a, b) => {
    for (const order of orderBy) {
      const left = comparable(a[order.field.name] ?? null, order.field);
      const right = comparable(b[order.field.name] ?? null, order.field);
      if (left === right) continue;
      if (left === null) return order.nullsLast ? 1 : -1;
      if (right === null) return order.nullsLast ? -1 : 1;
      const result = left < right ? -1 : 1;
      return order.desc ? -result : result;
    }
    return String(a.Id) < String(b.Id) ? -1 : String(a.Id) > String(b.Id) ? 1 : 0;
  });
}
