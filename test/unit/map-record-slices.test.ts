import { describe, expect, it } from 'vitest';
import { RecordError } from '../../core/errors.ts';
import { mapRecords, mapRecordSlices } from '../../core/sync/rejects.ts';

/** A mapper that rejects every record divisible by 5 and maps the rest. */
const toRow = (n: number) => {
  if (n % 5 === 0) throw new RecordError(`${n} is a multiple of 5`, { field: 'n' });
  return { n };
};

describe('mapRecordSlices', () => {
  it('yields every sliceRows records, rows and rejects together, in order, and the rest at the end', () => {
    // Prepare: 23 records, 4 of them rejected (5, 10, 15, 20)
    const records = Array.from({ length: 23 }, (_, i) => i + 1);
    // Act
    const slices = [...mapRecordSlices(records, toRow, 10)];
    // Assess
    expect(slices.map((s) => [s.rows.length, s.rejected.length])).toEqual([[8, 2], [8, 2], [3, 0]]);
    expect(slices.flatMap((s) => s.rows.map((r) => r.n))).toEqual(records.filter((n) => n % 5 !== 0));
    expect(slices.flatMap((s) => s.rejected.map((r) => r.raw))).toEqual([5, 10, 15, 20]);
  });

  it('maps lazily: a record is read only when its slice is asked for', () => {
    // Prepare: a source that counts what was read
    let read = 0;
    function* records() {
      for (let i = 1; i <= 100; i++) {
        read++;
        yield i;
      }
    }
    // Act
    const slices = mapRecordSlices(records(), toRow, 30);
    slices.next();
    // Assess
    expect(read).toBe(30);
  });

  it('yields nothing for no records, and mapRecords gives one empty result', () => {
    // Act
    const slices = [...mapRecordSlices([], toRow)];
    // Assess
    expect(slices).toEqual([]);
    expect(mapRecords([], toRow)).toEqual({ rows: [], rejected: [] });
  });
});
