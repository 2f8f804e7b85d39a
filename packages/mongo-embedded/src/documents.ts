import { EJSON, deserialize, serialize } from 'bson';
import type { Document } from 'bson';

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

/**
 * A deep copy that keeps BSON types (ObjectId, Date, Decimal128...) exactly as the wire
 * would; stored documents are never mutated in place, so every change starts from a copy.
 */
export function cloneDocument<T extends Document>(document: T): T {
  return deserialize(toBson(document)) as T;
}

/** True when both encode to the same bytes: same fields, same order, same BSON types. */
export function sameBson(a: Document, b: Document): boolean {
  return toBson(a).equals(toBson(b));
}

/** A string that is equal for equal BSON values, usable as a Map key. */
export function valueKey(value: unknown): string {
  return EJSON.stringify([value], { relaxed: false });
}

/** mongod keeps _id as the first field of every stored and returned document. */
export function withIdFirst(document: Document): Document {
  if (!('_id' in document) || Object.keys(document)[0] === '_id') return document;
  const { _id, ...rest } = document;
  return { _id, ...rest };
}
