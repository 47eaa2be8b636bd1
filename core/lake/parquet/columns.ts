import type { Column } from '../../table/schema.ts';
import { BooleanColumn, DateColumn, DoubleColumn, Int64Column } from './fixed-width-columns.ts';
import type { ColumnBuilder } from './pages.ts';
import { StringColumn } from './string-column.ts';

/**
 * Column chunk builders: rows go in column by column as they arrive (so a row object is garbage as
 * soon as its batch is appended), values are written in their Parquet form (typed arrays, UTF-8
 * bytes, dictionary indices) into a page that is compressed when full (pages.ts), and `flush`
 * hands over the chunk's pages. Strings are dictionary-encoded until the dictionary passes 1 MiB
 * (parquet-rs' default), then PLAIN; other types are PLAIN (see fixed-width-columns.ts).
 */

export function columnBuilder(tableName: string, column: Column): ColumnBuilder {
  switch (column.type) {
    case 'string': return new StringColumn(tableName, column);
    case 'int64': return new Int64Column(tableName, column, false);
    case 'timestamp': return new Int64Column(tableName, column, true);
    case 'double': return new DoubleColumn(tableName, column);
    case 'date': return new DateColumn(tableName, column);
    case 'boolean': return new BooleanColumn(tableName, column);
  }
}

export type { ColumnBuilder, ColumnChunk, Page } from './pages.ts';
