import { DBRef, Decimal128, Double, Int32, Long } from 'bson';
import { isDocument } from '../documents';

/*
 * How numbers are held. JavaScript has one number type and BSON four; bson's default decoding
 * turns a stored 1.0 into a number that encodes back as int32, and a long into a number. So a
 * value keeps a wrapper exactly when the plain number would encode as another BSON type: an
 * integral double stays a Double, every long stays a Long. int32 values and fractional doubles
 * are plain numbers, which is what mingo's operators expect most of the time.
 */

export type NumericType = 'int' | 'long' | 'double' | 'decimal';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export function fitsInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

/** The BSON type a number-like value encodes as, or undefined for a non-number. */
export function numericType(value: unknown): NumericType | undefined {
  if (typeof value === 'number')
    return fitsInt32(value) && !Object.is(value, -0) ? 'int' : 'double';
  if (value instanceof Double) return 'double';
  if (value instanceof Int32) return 'int';
  if (value instanceof Long) return 'long';
  if (value instanceof Decimal128) return 'decimal';
  return undefined;
}

/** The value of a number-like value as a JavaScript number (Decimal128 approximated). */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Double || value instanceof Int32) return value.valueOf();
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return undefined;
}

/** A number of the given BSON type, wrapped only where a plain number would change type. */
export function typedNumber(value: number, type: NumericType): unknown {
  switch (type) {
    case 'long':
      return Long.fromNumber(value);
    case 'double':
      return fitsInt32(value) ? new Double(value) : value;
    case 'decimal':
      return Decimal128.fromString(String(value));
    case 'int':
      return value;
  }
}

/** Both conversions recurse alike: into each element of an array and each field of a document. */
function mapChildren(value: unknown, convert: (child: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map(convert);
  if (!isDocument(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) result[key] = convert(field);
  return result;
}

/**
 * Turns a document decoded with `promoteValues: false` into the held form: primitives for
 * strings, booleans, int32 and fractional doubles; Double and Long wrappers where needed.
 */
export function normalizeDecoded(value: unknown): unknown {
  if (value instanceof Int32) return value.valueOf();
  if (value instanceof Double) {
    const number = value.valueOf();
    return numericType(number) === 'double' ? number : value;
  }
  if (value instanceof String || value instanceof Boolean) return value.valueOf();
  // mongod stores a DBRef as the plain subdocument it is, so 'ref.$id' paths query into it.
  if (value instanceof DBRef) {
    return normalizeDecoded({
      $ref: value.collection,
      $id: value.oid,
      ...(value.db ? { $db: value.db } : {}),
      ...value.fields,
    });
  }
  return mapChildren(value, normalizeDecoded);
}

/**
 * The form mingo computes with: every int32, long and double a plain number. Longs beyond
 * 2^53 stay Long, since a number would silently change their value.
 */
export function toPlainNumbers(value: unknown): unknown {
  if (value instanceof Double || value instanceof Int32) return value.valueOf();
  if (value instanceof Long) {
    const number = value.toNumber();
    return Number.isSafeInteger(number) ? number : value;
  }
  return mapChildren(value, toPlainNumbers);
}
