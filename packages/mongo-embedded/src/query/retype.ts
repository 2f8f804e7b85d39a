import { isDocument } from '../documents';
import type { Document } from '../documents';
import { numericType, numericValue, typedNumber } from '../bson/numbers';

/*
 * Results mingo computes hold plain numbers. Where a number is the same value the typed
 * source holds at the same place, the source's BSON type is put back, so a projection or a
 * pipeline stage that passes a Double or Long through returns it as one.
 */

export function retypeLike(result: unknown, source: unknown): unknown {
  if (typeof result === 'number') {
    const type = numericType(source);
    if (type === undefined || type === numericType(result)) return result;
    return numericValue(source) === result ? typedNumber(result, type) : result;
  }
  if (Array.isArray(result)) {
    const elements = Array.isArray(source) ? source : [];
    return result.map((element, i) => retypeLike(element, elements[i]));
  }
  if (isDocument(result)) {
    const fields = isDocument(source) ? source : {};
    const typed: Document = {};
    for (const [key, value] of Object.entries(result)) typed[key] = retypeLike(value, fields[key]);
    return typed;
  }
  return result;
}
