import { describe, expect, it } from 'vitest';
import { parseArrayWithLazyArrays, parseWithLazyArray } from '../../core/json/json-items.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('parseWithLazyArray', () => {
  it('gives the same values JSON.parse does, with the long array parsed a row at a time', () => {
    // Prepare: strings that contain brackets, quotes, escapes and Korean, pretty-printed as Google does
    const page = {
      dimensionHeaders: [{ name: 'date' }],
      rows: [
        { dimensionValues: [{ value: 'a "quoted" ]}{[ value' }], metricValues: [{ value: '1' }] },
        { dimensionValues: [{ value: '봄_세일 \\ 🎉' }], metricValues: [] },
        [1, [2, { three: null }]],
        'text',
        42.5,
        true,
      ],
      rowCount: 6,
      metadata: { timeZone: 'Asia/Seoul', rows: 'not the array' },
    };
    const text = JSON.stringify(page, null, 2);
    // Act
    const { value, items } = parseWithLazyArray(bytes(text), 'rows');
    // Assess
    expect(value).toEqual({ ...page, rows: [] });
    expect(items.length).toBe(6);
    expect([...items]).toEqual(page.rows);
    expect(items.textAt(3)).toBe('"text"');
  });

  it('reads an object without the field, and an empty array, as no rows', () => {
    // Prepare
    const without = bytes('{"rowCount":0}');
    const empty = bytes('{ "rows" : [ ] , "rowCount": 0 }');
    // Act
    const a = parseWithLazyArray(without, 'rows');
    const b = parseWithLazyArray(empty, 'rows');
    // Assess
    expect([a.value, a.items.length]).toEqual([{ rowCount: 0 }, 0]);
    expect([b.value, b.items.length]).toEqual([{ rows: [], rowCount: 0 }, 0]);
  });

  it.each([
    ['cut short in a row', '{"rows":[{"a":"1"},{"a":"2'],
    ['cut short after a row', '{"rows":[{"a":"1"},'],
    ['cut short after the array', '{"rows":[{"a":"1"}]'],
    ['brackets that do not match', '{"rows":[{"a":["1"}]}'],
    ["a proxy's HTML page", '<html><body>502 Bad Gateway</body></html>'],
    ['trailing garbage', '{"rows":[]} x'],
    ['an empty body', ''],
  ])('throws a SyntaxError on a body %s, before any row is read', (_name, text) => {
    // Prepare: the text above
    // Act
    const act = () => parseWithLazyArray(bytes(text), 'rows');
    // Assess
    expect(act).toThrow(SyntaxError);
  });
});

describe('parseArrayWithLazyArrays', () => {
  it('reads an array of batches, each with its long array parsed lazily, and an error object as one element', () => {
    // Prepare: a searchStream body (two batches) and an error body
    const stream = [{ results: [{ a: 1 }, { a: 2 }], fieldMask: 'a' }, { fieldMask: 'a' }, { results: [], requestId: 'r' }];
    const error = { error: { code: 429, message: 'quota' } };
    // Act
    const batches = parseArrayWithLazyArrays(bytes(` ${JSON.stringify(stream, null, 1)}\n`), 'results');
    const [failure] = parseArrayWithLazyArrays(bytes(JSON.stringify(error)), 'results');
    // Assess
    expect(batches.map((b) => [b.value, [...b.items]])).toEqual([
      [{ results: [], fieldMask: 'a' }, [{ a: 1 }, { a: 2 }]],
      [{ fieldMask: 'a' }, []],
      [{ results: [], requestId: 'r' }, []],
    ]);
    expect(failure!.value).toEqual(error);
  });

  it('throws a SyntaxError on a stream cut short between batches', () => {
    // Prepare
    const cut = bytes('[{"results":[{"a":1}]},{"results":[{"a":');
    // Act
    const act = () => parseArrayWithLazyArrays(cut, 'results');
    // Assess
    expect(act).toThrow(SyntaxError);
  });
});

describe('JsonItems.release', () => {
  /** A page of `rows` rows in a buffer of its own, as a client's body is (past the 1 MB below which release leaves it to the GC). */
  const bigPage = (rows: number) => Buffer.concat([bytes(JSON.stringify({ rows: Array.from({ length: rows }, (_, i) => ({ i, pad: 'x'.repeat(100) })) }))]);

  it('frees a page of its own and makes any later read fail loudly rather than read as no rows', () => {
    // Prepare: a page of 20,000 rows (about 2.5 MB)
    const body = bigPage(20_000);
    const { items } = parseWithLazyArray(body, 'rows');
    const firstRows = [...items].slice(0, 2);
    // Act
    items.release();
    // Assess: the rows already read are unaffected; the bytes are gone; reading again throws
    expect(firstRows).toEqual([{ i: 0, pad: 'x'.repeat(100) }, { i: 1, pad: 'x'.repeat(100) }]);
    expect(body.buffer.byteLength).toBe(0);
    expect(() => [...items]).toThrow('a page was read after its bytes were released');
    expect(() => items.textAt(0)).toThrow('a page was read after its bytes were released');
  });

  it('leaves a slice of a bigger buffer, and a small page, to the garbage collector', () => {
    // Prepare: a page inside a bigger buffer, and a small page of its own
    const page = bigPage(20_000);
    const shared = Buffer.concat([page, Buffer.alloc(16)]).subarray(0, page.length);
    const small = Buffer.concat([bytes(JSON.stringify({ rows: [{ a: 1 }] }))]);
    const sharedItems = parseWithLazyArray(shared, 'rows').items;
    const smallItems = parseWithLazyArray(small, 'rows').items;
    // Act
    sharedItems.release();
    smallItems.release();
    // Assess
    expect(sharedItems.length).toBe(20_000);
    expect([...sharedItems][19_999]).toEqual({ i: 19_999, pad: 'x'.repeat(100) });
    expect([...smallItems]).toEqual([{ a: 1 }]);
  });
});
