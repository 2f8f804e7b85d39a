import { isDocument } from '../documents';
import type { Document } from '../documents';

/*
 * The positional `$` of updates and projections: the first element of an array that the
 * query's conditions on that array matched. mongod remembers it while matching; here the
 * conditions on the array's path are re-run against each element in turn.
 */

type Compile = (filter: Document) => (document: Document) => boolean;

function valueAt(document: Document, path: string): unknown {
  let value: unknown = document;
  for (const segment of path.split('.')) {
    if (!isDocument(value)) return undefined;
    value = value[segment];
  }
  return value;
}

/** A document holding only `value` at a dotted path. */
export function documentWith(path: string, value: unknown): Document {
  const segments = path.split('.');
  const last = segments.pop() ?? path;
  const root: Document = {};
  let node = root;
  for (const segment of segments) {
    const created: Document = {};
    node[segment] = created;
    node = created;
  }
  node[last] = value;
  return root;
}

/** The index of the matched element, or -1 when the filter names no matching one. */
export function matchedElementIndex(
  document: Document,
  arrayPath: string,
  filter: Document,
  compile: Compile,
): number {
  const array = valueAt(document, arrayPath);
  const conditions = Object.entries(filter).filter(
    ([key]) => key === arrayPath || key.startsWith(`${arrayPath}.`),
  );
  if (!Array.isArray(array) || conditions.length === 0) return -1;
  const matches = compile(Object.fromEntries(conditions));
  return array.findIndex((element) => matches(documentWith(arrayPath, [element])));
}
