import { LakeError } from '../../errors.ts';
import type { Row, TableSchema } from '../../table/schema.ts';
import { concatBytes } from './byte-buffer.ts';
import { columnBuilder, type ColumnBuilder, type ColumnChunk, type Page } from './columns.ts';
import { CompressionCodec, Encoding, PageType, physicalTypeOf, schemaElement } from './format.ts';
import { encodeStruct, type ThriftStruct, type ThriftValue } from './thrift.ts';

/**
 * One Parquet file, written front to back: `PAR1`, row groups as they fill, then the footer.
 * Rows are appended in batches and go straight into column chunks (see columns.ts), whose pages
 * are compressed as they fill; a full row group comes back as its chunks, which the caller hands
 * to `layout` in order.
 */

export const magic = Uint8Array.of(0x50, 0x41, 0x52, 0x31);

const createdBy = 'kpi-pipeline version 0.1.0';

export class ParquetFileWriter {
  readonly #table: TableSchema;
  readonly #rowGroupRows: number;
  readonly #columns: ColumnBuilder[];
  #groupRows = 0;
  #appendedRows = 0;
  #writtenRows = 0;
  #offset = magic.byteLength;
  readonly #rowGroups: ThriftValue[] = [];

  constructor(table: TableSchema, rowGroupRows: number) {
    if (!Number.isInteger(rowGroupRows) || rowGroupRows < 1) {
      throw new LakeError(`rowGroupRows must be a positive integer, not ${rowGroupRows}`, { context: { table: table.name } });
    }
    this.#table = table;
    this.#rowGroupRows = rowGroupRows;
    this.#columns = table.columns.map((column) => columnBuilder(table.name, column));
  }

  /** Rows appended so far. */
  get rows(): number {
    return this.#appendedRows;
  }

  /** Appends rows `start … end`; returns the row groups they completed (their pages compressed). */
  append(rows: readonly Row[], start = 0, end = rows.length): ColumnChunk[][] {
    const full: ColumnChunk[][] = [];
    for (let at = start; at < end;) {
      const take = Math.min(end - at, this.#rowGroupRows - this.#groupRows);
      for (const column of this.#columns) column.appendRows(rows, at, at + take, this.#appendedRows);
      this.#groupRows += take;
      this.#appendedRows += take;
      at += take;
      if (this.#groupRows === this.#rowGroupRows) full.push(this.#flush());
    }
    return full;
  }

  /** The rows appended since the last full row group, as one (shorter) row group. */
  finishRowGroup(): ColumnChunk[] | undefined {
    return this.#groupRows > 0 ? this.#flush() : undefined;
  }

  #flush(): ColumnChunk[] {
    this.#groupRows = 0;
    return this.#columns.map((column) => column.flush());
  }

  /** A row group's bytes, in file order; the footer will point at them. */
  layout(group: readonly ColumnChunk[]): Uint8Array {
    const parts: Uint8Array[] = [];
    const groupStart = this.#offset;
    let groupUncompressed = 0;
    const columns: ThriftValue[] = group.map((chunk, c) => {
      const column = this.#table.columns[c]!;
      const chunkStart = this.#offset;
      let uncompressed = 0, compressed = 0;
      let dictionaryOffset: number | undefined, dataOffset: number | undefined;
      for (const page of chunk.pages) {
        const header = encodeStruct(pageHeader(page));
        if (page.type === 'dictionary') dictionaryOffset ??= this.#offset;
        else dataOffset ??= this.#offset;
        parts.push(header, page.body);
        this.#offset += header.byteLength + page.body.byteLength;
        uncompressed += header.byteLength + page.uncompressedSize;
        compressed += header.byteLength + page.body.byteLength;
      }
      groupUncompressed += uncompressed;
      const { statistics } = chunk;
      const metadata: ThriftStruct = [
        [1, { i32: physicalTypeOf(column.type) }],
        [2, { list: chunk.encodings.map((e) => ({ i32: e })), of: 'i32' }],
        [3, { list: [{ string: column.name }], of: 'string' }],
        [4, { i32: CompressionCodec.zstd }],
        [5, { i64: chunk.rows }],
        [6, { i64: uncompressed }],
        [7, { i64: compressed }],
        [9, { i64: dataOffset! }],
        [11, dictionaryOffset === undefined ? undefined : { i64: dictionaryOffset }],
        [12, {
          struct: [
            [3, { i64: statistics.nullCount }],
            [5, statistics.max ? { binary: statistics.max } : undefined],
            [6, statistics.min ? { binary: statistics.min } : undefined],
          ],
        }],
      ];
      return { struct: [[2, { i64: chunkStart }], [3, { struct: metadata }]] };
    });
    const rows = group[0]?.rows ?? 0;
    this.#writtenRows += rows;
    this.#rowGroups.push({
      struct: [
        [1, { list: columns, of: 'struct' }],
        [2, { i64: groupUncompressed }],
        [3, { i64: rows }],
        [5, { i64: groupStart }],
        [6, { i64: this.#offset - groupStart }],
      ],
    });
    return concatBytes(parts, this.#offset - groupStart);
  }

  /** FileMetaData, its length and `PAR1`: the end of the file. */
  footer(): Uint8Array {
    const metadata = encodeStruct([
      [1, { i32: 1 }],
      [2, {
        list: [
          { struct: [[4, { string: 'schema' }], [5, { i32: this.#table.columns.length }]] },
          ...this.#table.columns.map((c) => ({ struct: schemaElement(c.name, c.type, c.nullable !== false) })),
        ],
        of: 'struct',
      }],
      [3, { i64: this.#writtenRows }],
      [4, { list: this.#rowGroups, of: 'struct' }],
      [6, { string: createdBy }],
      // TYPE_ORDER for every column: readers may trust min_value / max_value.
      [7, { list: this.#table.columns.map(() => ({ struct: [[1, { struct: [] }]] })), of: 'struct' }],
    ]);
    const out = new Uint8Array(metadata.byteLength + 8);
    out.set(metadata);
    new DataView(out.buffer).setUint32(metadata.byteLength, metadata.byteLength, true);
    out.set(magic, metadata.byteLength + 4);
    return out;
  }
}

function pageHeader(page: Page): ThriftStruct {
  return [
    [1, { i32: page.type === 'dictionary' ? PageType.dictionary : PageType.data }],
    [2, { i32: page.uncompressedSize }],
    [3, { i32: page.body.byteLength }],
    page.type === 'dictionary'
      ? [7, { struct: [[1, { i32: page.valueCount }], [2, { i32: page.encoding }]] }]
      : [5, {
        struct: [[1, { i32: page.valueCount }], [2, { i32: page.encoding }], [3, { i32: Encoding.rle }], [4, { i32: Encoding.rle }]],
      }],
  ];
}
