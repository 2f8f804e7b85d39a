import { isDocument } from '../documents';
import type { Document } from '../documents';
import { compileFilter } from './mql';
import type { DocumentPredicate } from './mql';

/*
 * $pull as mongod applies it. A condition that is a document of fields or of $and/$or/$nor
 * is a query each subdocument element must match; anything else ({ $gte: 6 }, a scalar) is
 * tested against the element's value. mingo treats the logical operators as the second
 * kind, so mongoose's pull() of subdocuments without _id (which sends $or) removed nothing.
 */

const LOGICAL = new Set(['$and', '$or', '$nor']);

export function elementPredicate(condition: unknown): (element: unknown) => boolean {
  const queryOnElement =
    isDocument(condition) &&
    Object.keys(condition).length > 0 &&
    Object.keys(condition).every((key) => !key.startsWith('$') || LOGICAL.has(key));
  if (queryOnElement) {
    const matches = compileFilter(condition);
    return (element) => isDocument(element) && matches(element);
  }
  const wrapped: DocumentPredicate = compileFilter({ value: condition });
  return (element) => wrapped({ value: element });
}

/** Removes matching elements from the array at each plain path; returns the other fields. */
export function pullInPlace(document: Document, fields: Document): Document {
  const rest: Document = {};
  for (const [path, condition] of Object.entries(fields)) {
    const segments = path.split('.');
    if (segments.some((segment) => segment.startsWith('$') || /^\d+$/.test(segment))) {
      rest[path] = condition;
      continue;
    }
    const last = segments.pop() as string;
    let parent: unknown = document;
    for (const segment of segments) parent = isDocument(parent) ? parent[segment] : undefined;
    if (!isDocument(parent) || !Array.isArray(parent[last])) continue;
    const matches = elementPredicate(condition);
    parent[last] = (parent[last] as unknown[]).filter((element) => !matches(element));
  }
  return rest;
}
