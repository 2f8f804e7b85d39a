import { MinKey } from 'bson';
import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { compareValues } from './compare';

/*
 * mongod's sort: values compare in BSON order across types, a missing field sorts as null,
 * and an array field sorts by its smallest element ascending and its largest descending.
 */

interface SortKey {
  path: string[];
  direction: 1 | -1;
}

const EMPTY_ARRAY = new MinKey();

function parseSort(spec: Document): SortKey[] {
  return Object.entries(spec).map(([path, direction]) => {
    const value = Number(direction);
    if (value !== 1 && value !== -1) {
      const shown = isDocument(direction) ? JSON.stringify(direction) : String(direction);
      throw new CommandError(
        'BadValue',
        isDocument(direction) && '$meta' in direction
          ? `$meta sort by ${shown} is not supported by mongo-embedded (no text search)`
          : `Illegal key in $sort specification: ${path}: ${shown}`,
      );
    }
    return { path: path.split('.'), direction: value };
  });
}

/** Every value a path reaches, descending into arrays of subdocuments on the way. */
function leafValues(value: unknown, path: string[]): unknown[] {
  const [head, ...rest] = path;
  if (head === undefined) {
    if (Array.isArray(value)) return value.length === 0 ? [EMPTY_ARRAY] : value;
    return [value];
  }
  if (Array.isArray(value)) {
    if (/^\d+$/.test(head)) {
      const element: unknown = value[Number(head)];
      const byIndex = element === undefined ? [] : leafValues(element, rest);
      return [...byIndex, ...value.filter(isDocument).flatMap((item) => leafValues(item, path))];
    }
    return value.flatMap((item) => (isDocument(item) ? leafValues(item, path) : []));
  }
  if (!isDocument(value)) return [];
  const next: unknown = value[head];
  return next === undefined ? [] : leafValues(next, rest);
}

function sortValue(document: Document, key: SortKey): unknown {
  const values = leafValues(document, key.path);
  if (values.length === 0) return null;
  return values.reduce((best, value) => {
    const order = compareValues(value, best);
    return (key.direction === 1 ? order < 0 : order > 0) ? value : best;
  });
}

export function sortDocuments<T extends Document>(documents: T[], spec: Document): T[] {
  const keys = parseSort(spec);
  if (keys.length === 0) return documents;
  const decorated = documents.map((document) => ({
    document,
    values: keys.map((key) => sortValue(document, key)),
  }));
  decorated.sort((a, b) => {
    for (const [i, key] of keys.entries()) {
      const order = compareValues(a.values[i], b.values[i]);
      if (order !== 0) return order * key.direction;
    }
    return 0;
  });
  return decorated.map(({ document }) => document);
}
