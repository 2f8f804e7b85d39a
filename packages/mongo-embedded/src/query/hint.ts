import { CommandError } from '../errors';
import { isDocument, valueKey } from '../documents';
import type { Document } from '../documents';
import type { IndexDefinition } from '../storage/indexes';

/*
 * A hint makes mongod scan the named index, so without a sort the documents come out in the
 * index's key order, and a sparse or partial index yields only the documents it holds.
 * { $natural: 1 | -1 } is insertion order, forwards or backwards.
 */

export type HintedScan =
  { kind: 'natural'; direction: 1 | -1 } | { kind: 'index'; definition: IndexDefinition };

export function resolveHint(
  hint: unknown,
  definitions: readonly IndexDefinition[],
): HintedScan | undefined {
  if (hint === undefined || hint === null) return undefined;
  if (isDocument(hint) && '$natural' in hint) {
    return { kind: 'natural', direction: Number(hint['$natural']) < 0 ? -1 : 1 };
  }
  if (isDocument(hint) && Object.keys(hint).length === 0) return undefined;
  const definition =
    typeof hint === 'string'
      ? definitions.find((candidate) => candidate.name === hint)
      : isDocument(hint)
        ? definitions.find((candidate) => valueKey(candidate.key) === valueKey(hint))
        : undefined;
  if (!definition) {
    throw new CommandError(
      'BadValue',
      'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index',
    );
  }
  return { kind: 'index', definition };
}

/** The sort that reproduces an index's key order; geo and text keys order nothing here. */
export function indexOrder(definition: IndexDefinition): Document {
  return Object.fromEntries(
    Object.entries(definition.key).filter(([, direction]) => typeof direction === 'number'),
  );
}

/** Whether a sparse index has an entry for the document (some key field is present). */
export function inSparseIndex(
  definition: IndexDefinition,
  has: (path: string) => boolean,
): boolean {
  return definition['sparse'] !== true || Object.keys(definition.key).some(has);
}
