import { isDocument } from '../documents';

/** The value at a dotted path, where numeric segments index arrays; undefined when absent. */
export function valueAtPath(value: unknown, path: string): unknown {
  let node: unknown = value;
  for (const segment of path.split('.')) {
    if (Array.isArray(node) && /^\d+$/.test(segment)) node = node[Number(segment)];
    else if (isDocument(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

/** Replaces the value at an existing dotted path in place; an absent path is left alone. */
export function replaceAtPath(value: unknown, path: string, replacement: unknown): void {
  const segments = path.split('.');
  const last = segments.pop() ?? path;
  const parent = segments.length === 0 ? value : valueAtPath(value, segments.join('.'));
  if (Array.isArray(parent) && /^\d+$/.test(last) && Number(last) < parent.length) {
    parent[Number(last)] = replacement;
  } else if (isDocument(parent) && last in parent) {
    parent[last] = replacement;
  }
}
