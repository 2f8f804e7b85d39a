import { EJSON, deserialize, serialize } from 'bson';
import type { Document } from 'bson';
import { normalizeDecoded, toPlainNumbers } from './bson/numbers';

export type { Document };

export function isDocument(value: unknown): value is Document {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

const SERIALIZE_OPTIONS = { checkKeys: false, ignoreUndefined: true } as const;

export function toBson(document: Document): Buffer {
  const bytes = serialize(document, SERIALIZE_OPTIONS);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes a document keeping each number's BSON type (see bson/numbers.ts). */
export function fromBson(bytes: Uint8Array): Document {
  return normalizeDecoded(deserialize(bytes, { promoteValues: false })) as Document;
}

/**
 * A deep copy that keeps BSON types (ObjectId, Date, Decimal128, Double...) exactly as the
 * wire would; stored documents are never mutated in place, so every change starts from a copy.
 */
export function cloneDocument<T extends Document>(document: T): T {
  return fromBson(toBson(document)) as T;
}

/** True when both encode to the same bytes: same fields, same order, same BSON types. */
export function sameBson(a: Document, b: Document): boolean {
  return toBson(a).equals(toBson(b));
}

/**
 * A string that is equal for values mongod considers equal, usable as a Map key: numbers
 * compare by value whatever their BSON type (1, 1.0 and NumberLong(1) are one key).
 */
export function valueKey(value: unknown): string {
  return EJSON.stringify([toPlainNumbers(value)], { relaxed: true });
}

/** mongod keeps _id as the first field of every stored and returned document. */
export function withIdFirst(document: Document): Document {
  if (!('_id' in document) || Object.keys(document)[0] === '_id') return document;
  const { _id, ...rest } = document;
  return { _id, ...rest };
}
