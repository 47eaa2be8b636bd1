import type { Column } from '../../table/schema.ts';
import { BooleanColumn, DateColumn, DoubleColumn, Int64Column } from './fixed-width-columns.ts';
import type { ColumnBuilder } from './pages.ts';
import { StringColumn } from './string-column.ts';

/**
 * Column chunk builders: rows go in column by column as they arrive (so a row object is garbage as
 * soon as its batch is appended), values are kept in their Parquet form (typed arrays, UTF-8
 * bytes, dictionary indices), and `flush` cuts the chunk into uncompressed pages. Strings are
 * dictionary-encoded until the dictionary passes 1 MiB (parquet-rs' default), then PLAIN; other
 * types are PLAIN (see fixed-width-columns.ts).
 */

export function columnBuilder(tableName: string, column: Column, rowGroupRows: number): ColumnBuilder {
  switch (column.type) {
    case 'string': return new StringColumn(tableName, column, rowGroupRows);
    case 'int64': return new Int64Column(tableName, column, rowGroupRows, false);
    case 'timestamp': return new Int64Column(tableName, column, rowGroupRows, true);
    case 'double': return new DoubleColumn(tableName, column, rowGroupRows);
    case 'date': return new DateColumn(tableName, column, rowGroupRows);
    case 'boolean': return new BooleanColumn(tableName, column, rowGroupRows);
  }
}

export type { ColumnBuilder, ColumnChunkPages, RawPage } from './pages.ts';
export { toEpochDay } from './fixed-width-columns.ts';
