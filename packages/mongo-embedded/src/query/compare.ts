import { Binary, Decimal128, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { isDocument } from '../documents';
import { numericValue } from '../bson/numbers';

/*
 * mongod's comparison of BSON values: first by type bracket (numbers of every BSON type form
 * one bracket, compared by value), then within the bracket. This is what sort, range queries
 * and equality use.
 */

type StringOrder = (a: string, b: string) => number;

/*
 * The collation in force: commands run synchronously one at a time, so the collation of the
 * command (or write statement) being evaluated is set around its evaluation and read by
 * every string comparison it makes. Undefined is the simple (binary) collation.
 */
let stringOrder: StringOrder | undefined;

export function withStringOrder<T>(order: StringOrder | undefined, run: () => T): T {
  const previous = stringOrder;
  stringOrder = order;
  try {
    return run();
  } finally {
    stringOrder = previous;
  }
}

/** True while a non-simple collation is in force. */
export function collationActive(): boolean {
  return stringOrder !== undefined;
}

function compareStrings(a: string, b: string): number {
  if (stringOrder) return Math.sign(stringOrder(a, b));
  return a < b ? -1 : a > b ? 1 : 0;
}

function bracket(value: unknown): number {
  if (value instanceof MinKey) return 1;
  if (value === null || value === undefined) return 2;
  if (numericValue(value) !== undefined) return 3;
  if (typeof value === 'string') return 4;
  if (Array.isArray(value)) return 6;
  if (isDocument(value)) return 5;
  if (value instanceof Binary || value instanceof Uint8Array) return 7;
  if (value instanceof ObjectId) return 8;
  if (typeof value === 'boolean') return 9;
  if (value instanceof Date) return 10;
  if (value instanceof Timestamp) return 11;
  if (value instanceof RegExp) return 12;
  if (value instanceof MaxKey) return 100;
  return 13;
}

/** True for the types whose brackets only compare with themselves in $gt/$lt (type bracketing). */
export function sameBracket(a: unknown, b: unknown): boolean {
  return bracket(a) === bracket(b);
}

function compareNumbers(a: unknown, b: unknown): number {
  if (a instanceof Decimal128 || b instanceof Decimal128) {
    const x = numericValue(a) as number;
    const y = numericValue(b) as number;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = numericValue(a) as number;
  const y = numericValue(b) as number;
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
  if (Number.isNaN(y)) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareSequences(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareValues(a[i], b[i]);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

export function compareValues(a: unknown, b: unknown): number {
  const order = bracket(a) - bracket(b);
  if (order !== 0) return Math.sign(order);
  switch (bracket(a)) {
    case 3:
      return compareNumbers(a, b);
    case 4:
      return compareStrings(a as string, b as string);
    case 5: {
      const x = Object.entries(a as object);
      const y = Object.entries(b as object);
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const [keyA, valueA] = x[i] as [string, unknown];
        const [keyB, valueB] = y[i] as [string, unknown];
        const byType = bracket(valueA) - bracket(valueB);
        if (byType !== 0) return Math.sign(byType);
        if (keyA !== keyB) return keyA < keyB ? -1 : 1;
        const byValue = compareValues(valueA, valueB);
        if (byValue !== 0) return byValue;
      }
      return Math.sign(x.length - y.length);
    }
    case 6:
      return Math.sign(compareSequences(a as unknown[], b as unknown[]));
    case 7: {
      const x = a instanceof Binary ? a.buffer : (a as Uint8Array);
      const y = b instanceof Binary ? b.buffer : (b as Uint8Array);
      return Math.sign(x.length - y.length) || Buffer.compare(Buffer.from(x), Buffer.from(y));
    }
    case 8:
      return Buffer.compare(Buffer.from((a as ObjectId).id), Buffer.from((b as ObjectId).id));
    case 9:
      return Number(a) - Number(b);
    case 10:
      return Math.sign((a as Date).getTime() - (b as Date).getTime());
    case 11:
      return (a as Timestamp).compare(b as Timestamp);
    case 12:
      return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
    default:
      return 0;
  }
}

export function valuesEqual(a: unknown, b: unknown): boolean {
  return compareValues(a, b) === 0;
}
