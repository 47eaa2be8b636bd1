import type { ColumnType } from '../../table/schema.ts';
import type { ThriftStruct } from './thrift.ts';

/** Parquet's enums (parquet.thrift), the values this writer uses. */
const PhysicalType = { boolean: 0, int32: 1, int64: 2, double: 5, byteArray: 6 } as const;
const Repetition = { required: 0, optional: 1 } as const;
const ConvertedType = { utf8: 0, date: 6, timestampMicros: 10 } as const;
export const Encoding = { plain: 0, rle: 3, rleDictionary: 8 } as const;
export const PageType = { data: 0, dictionary: 2 } as const;
export const CompressionCodec = { zstd: 6 } as const;

/** Each column type's physical type and annotations, the logical types Athena, DuckDB and Arrow read. */
export function schemaElement(name: string, type: ColumnType, nullable: boolean): ThriftStruct {
  const repetition: [number, { i32: number }] = [3, { i32: nullable ? Repetition.optional : Repetition.required }];
  const nameField: [number, { string: string }] = [4, { string: name }];
  switch (type) {
    case 'string':
      return [[1, { i32: PhysicalType.byteArray }], repetition, nameField, [6, { i32: ConvertedType.utf8 }], [10, { struct: [[1, { struct: [] }]] }]];
    case 'int64':
      return [[1, { i32: PhysicalType.int64 }], repetition, nameField];
    case 'double':
      return [[1, { i32: PhysicalType.double }], repetition, nameField];
    case 'boolean':
      return [[1, { i32: PhysicalType.boolean }], repetition, nameField];
    case 'date':
      return [[1, { i32: PhysicalType.int32 }], repetition, nameField, [6, { i32: ConvertedType.date }], [10, { struct: [[6, { struct: [] }]] }]];
    case 'timestamp':
      // TIMESTAMP(isAdjustedToUTC = true, unit = MICROS): an instant, which Athena and DuckDB read as a UTC timestamp.
      return [[1, { i32: PhysicalType.int64 }], repetition, nameField, [6, { i32: ConvertedType.timestampMicros }],
        [10, { struct: [[8, { struct: [[1, { bool: true }], [2, { struct: [[2, { struct: [] }]] }]] }]] }]];
  }
}

export function physicalTypeOf(type: ColumnType): number {
  switch (type) {
    case 'string': return PhysicalType.byteArray;
    case 'int64': case 'timestamp': return PhysicalType.int64;
    case 'double': return PhysicalType.double;
    case 'boolean': return PhysicalType.boolean;
    case 'date': return PhysicalType.int32;
  }
}
