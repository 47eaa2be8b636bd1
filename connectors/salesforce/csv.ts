/**
 * Bulk API 2.0 result CSV (columnDelimiter COMMA, lineEnding LF; CRLF tolerated): a header row, then
 * one row per record, values double-quoted where needed with `""` for a quote. Every value is text
 * (an empty string for null); the mappers turn them into typed values.
 */
export function parseCsvRecords(text: string): Array<Record<string, string>> {
  const rows = parseCsvRows(text);
  const header = rows.shift();
  if (!header) return [];
  return rows.map((row, index) => {
    if (row.length !== header.length) {
      throw new SyntaxError(`CSV row ${index + 2} has ${row.length} values, the header has ${header.length}`);
    }
    const record: Record<string, string> = {};
    header.forEach((name, i) => (record[name] = row[i]!));
    return record;
  });
}

export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let value = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char !== '"') value += char;
      else if (text[i + 1] === '"') {
        value += '"';
        i++;
      } else quoted = false;
      continue;
    }
    if (char === '"' && value === '') {
      quoted = true;
      started = true;
    } else if (char === ',') {
      row.push(value);
      value = '';
      started = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(value);
      rows.push(row);
      row = [];
      value = '';
      started = false;
    } else {
      value += char;
      started = true;
    }
  }
  if (quoted) throw new SyntaxError('CSV ends inside a quoted value');
  if (started || value !== '' || row.length > 0) {
    row.push(value);
    rows.push(row);
  }
  return rows;
}

/** One CSV line (no line ending), every value quoted the way Bulk API 2.0 writes results. */
export function toCsvLine(values: readonly string[]): string {
  return values.map((v) => `"${v.replaceAll('"', '""')}"`).join(',');
}
