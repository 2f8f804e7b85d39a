import { Int32, ObjectId } from 'bson';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { collationActive } from './compare';

/*
 * Values whose equality is exactly the equality of their valueKey, under the simple collation:
 * a number of another BSON type (Double 1 equals Int32 1) or a string under a case-blind
 * collation could match a differently keyed _id, so such filters scan instead.
 */
function keyedExactly(value: unknown): boolean {
  return typeof value === 'string' || value instanceof ObjectId || value instanceof Int32;
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
 * scan of every other document, as mongod's _id index does.
 */
export function idsNamedBy(filter: Document | undefined): unknown[] | undefined {
  if (!filter || !('_id' in filter) || collationActive()) return undefined;
  return idValuesOf(filter['_id']);
}
