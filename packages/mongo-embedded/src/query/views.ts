import { Double, Int32, Long } from 'bson';
import { isDocument } from '../documents';
import type { Document } from '../documents';

/*
 * mingo computes with JavaScript numbers, while documents hold Double and Long wrappers where
 * their BSON type needs it (bson/numbers.ts). A view is the same document with plain numbers;
 * each of its containers remembers the typed container it came from, so an operator that needs
 * the BSON type ($type) and a result that is a stored document can get back to the original.
 * Stored documents are never modified, so a view is built once per stored document.
 */

const views = new WeakMap<object, object>();
const originals = new WeakMap<object, object>();

function viewOf(value: unknown): unknown {
  if (value instanceof Double || value instanceof Int32) return value.valueOf();
  if (value instanceof Long) {
    const number = value.toNumber();
    return Number.isSafeInteger(number) ? number : value;
  }
  const isArray = Array.isArray(value);
  if (!isArray && !isDocument(value)) return value;
  const cached = views.get(value);
  if (cached) return cached;
  const view: unknown = isArray
    ? value.map(viewOf)
    : Object.fromEntries(Object.entries(value).map(([key, field]) => [key, viewOf(field)]));
  views.set(value, view as object);
  originals.set(view as object, value);
  return view;
}

export function plainView(document: Document): Document {
  return viewOf(document) as Document;
}

/** The typed document a view was made from; a computed document is its own original. */
export function originalOf<T extends object>(view: T): T {
  return (originals.get(view) as T | undefined) ?? view;
}
