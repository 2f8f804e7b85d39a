import { ObjectId } from 'bson';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { collationActive } from './compare';

/*
 * Values whose equality is exactly the equality of their valueKey under the simple collation.
 * Strings, ObjectIds and safe whole numbers qualify (valueKey writes 1, 1.0 and NumberLong(1)
 * alike); -0, NaN, Decimal128, large Longs and a string under a case-blind collation could equal
 * a differently keyed _id, so filters on them scan instead.
 */
function keyedExactly(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    value instanceof ObjectId ||
    (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0))
  );
}

function idValuesOf(condition: unknown): unknown[] | undefined {
  if (keyedExactly(condition)) return [condition];
  if (!isDocument(condition)) return undefined;
  const operators = Object.keys(condition);
  if (operators.length !== 1) return undefined;
  if ('$eq' in condition) return idValuesOf(condition['$eq']);
  const values: unknown = condition['$in'];
  if (!Array.isArray(values) || !values.every(keyedExactly)) return undefined;
  return values;
}

/**
 * The _id values a filter restricts its matches to, when its top-level `_id` condition is an
 * equality or an `$in` of plainly keyed values; undefined when it may match any document. The
 * rest of the filter still has to be applied to the documents these name: this only spares the
 * scan of every other document (mongod uses its _id index for the same filters).
 */
export function idsNamedBy(filter: Document | undefined): unknown[] | undefined {
  if (!filter || !('_id' in filter) || collationActive()) return undefined;
  return idValuesOf(filter['_id']);
}
