import { ByteBuffer } from './byte-buffer.ts';

/**
 * The Thrift compact protocol, as far as Parquet's page headers and footer need it: structs of
 * i32, i64, binary, bool, nested structs and lists. A struct is written from a declarative list of
 * `[fieldId, value]` pairs; `undefined` values are optional fields left out.
 */

export type ThriftValue =
  | { readonly i32: number }
  | { readonly i64: number | bigint }
  | { readonly binary: Uint8Array }
  | { readonly string: string }
  | { readonly bool: boolean }
  | { readonly struct: ThriftStruct }
  | { readonly list: readonly ThriftValue[]; readonly of: 'i32' | 'string' | 'struct' };

export type ThriftStruct = ReadonlyArray<readonly [fieldId: number, value: ThriftValue | undefined]>;

const compactType = { boolTrue: 1, boolFalse: 2, i32: 5, i64: 6, binary: 8, list: 9, struct: 12 } as const;
const elementTypes = { i32: compactType.i32, string: compactType.binary, struct: compactType.struct } as const;

const utf8 = new TextEncoder();

/** Serialises one struct (a page header, the file metadata). */
export function encodeStruct(struct: ThriftStruct): Uint8Array {
  const out = new ByteBuffer(256);
  writeStruct(out, struct);
  return out.copy();
}

function writeStruct(out: ByteBuffer, struct: ThriftStruct): void {
  let lastId = 0;
  for (const [id, value] of struct) {
    if (value === undefined) continue;
    const type = 'bool' in value ? (value.bool ? compactType.boolTrue : compactType.boolFalse) : typeOf(value);
    const delta = id - lastId;
    if (delta > 0 && delta <= 15) out.byte((delta << 4) | type);
    else {
      out.byte(type);
      out.varint(zigzag(id));
    }
    lastId = id;
    if (!('bool' in value)) writeValue(out, value);
  }
  out.byte(0);
}

function typeOf(value: ThriftValue): number {
  if ('i32' in value) return compactType.i32;
  if ('i64' in value) return compactType.i64;
  if ('binary' in value || 'string' in value) return compactType.binary;
  if ('struct' in value) return compactType.struct;
  return compactType.list;
}

function writeValue(out: ByteBuffer, value: ThriftValue): void {
  if ('i32' in value) out.varint(zigzag(value.i32));
  else if ('i64' in value) out.varint(zigzag(value.i64));
  else if ('binary' in value) {
    out.varint(value.binary.byteLength);
    out.bytesOf(value.binary);
  } else if ('string' in value) {
    const bytes = utf8.encode(value.string);
    out.varint(bytes.byteLength);
    out.bytesOf(bytes);
  } else if ('struct' in value) writeStruct(out, value.struct);
  else if ('list' in value) {
    const elementType = elementTypes[value.of];
    if (value.list.length < 15) out.byte((value.list.length << 4) | elementType);
    else {
      out.byte(0xf0 | elementType);
      out.varint(value.list.length);
    }
    for (const element of value.list) writeValue(out, element);
  }
}

function zigzag(n: number | bigint): bigint | number {
  if (typeof n === 'bigint') return n >= 0n ? n * 2n : -n * 2n - 1n;
  return n >= 0 ? n * 2 : -n * 2 - 1;
}
