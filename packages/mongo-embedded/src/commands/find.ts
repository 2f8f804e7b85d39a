import { resolve } from 'mingo/util';
import { CommandError } from '../errors';
import { valueKey } from '../documents';
import type { Document } from '../documents';
import type { IndexDefinition } from '../storage/indexes';
import { collationActive, valuesEqual } from '../query/compare';
import { selectDocuments } from '../query/mql';
import type { CommandContext, CommandHandler } from './context';
import { namespaceOf } from './context';
import { optionalBoolean, optionalDocument, optionalNumber, requiredString } from './fields';

/** A query on a collection that does not exist finds nothing; it is not an error. */
function storedDocuments(
  context: CommandContext,
  collectionName: string,
  filter: Document | undefined,
): Document[] {
  return context.store.find(context.databaseName, collectionName)?.candidatesFor(filter) ?? [];
}

function indexesOf(context: CommandContext, collectionName: string): IndexDefinition[] {
  return context.store.find(context.databaseName, collectionName)?.indexDefinitions() ?? [];
}

const find: CommandHandler = (context) => {
  const { command } = context;
  const collectionName = requiredString(command, 'find');
  if (optionalBoolean(command, 'tailable')) {
    throw new CommandError('BadValue', 'tailable cursors are not supported by mongo-embedded');
  }
  const limit = optionalNumber(command, 'limit') ?? 0;
  const skip = optionalNumber(command, 'skip') ?? 0;
  if (limit < 0 || skip < 0) {
    throw new CommandError(
      'BadValue',
      `${limit < 0 ? 'limit' : 'skip'} value must be non-negative`,
    );
  }
  const filter = optionalDocument(command, 'filter');
  const results = selectDocuments(storedDocuments(context, collectionName, filter), {
    filter,
    sort: optionalDocument(command, 'sort'),
    projection: optionalDocument(command, 'projection'),
    skip,
    limit,
    indexes: indexesOf(context, collectionName),
    hint: command['hint'],
  });
  const cursor = context.cursors.open(namespaceOf(context, collectionName), results, {
    batchSize: optionalNumber(command, 'batchSize'),
    singleBatch: optionalBoolean(command, 'singleBatch'),
  });
  return { cursor, ok: 1 };
};

/** Used by estimatedDocumentCount and older callers; countDocuments is an aggregate. */
const count: CommandHandler = (context) => {
  const { command } = context;
  const collectionName = requiredString(command, 'count');
  const filter = optionalDocument(command, 'query');
  const matched = selectDocuments(storedDocuments(context, collectionName, filter), {
    filter,
    skip: Math.abs(optionalNumber(command, 'skip') ?? 0),
    limit: Math.abs(optionalNumber(command, 'limit') ?? 0),
    indexes: indexesOf(context, collectionName),
    hint: command['hint'],
  });
  return { n: matched.length, ok: 1 };
};

/** Distinct values of a path; array values contribute their elements, as in mongod. */
const distinct: CommandHandler = (context) => {
  const { command } = context;
  const collectionName = requiredString(command, 'distinct');
  const key = requiredString(command, 'key');
  const filter = optionalDocument(command, 'query');
  const matched = selectDocuments(storedDocuments(context, collectionName, filter), { filter });
  const values = new Map<string, unknown>();
  for (const document of matched) {
    const found: unknown = resolve(document, key, { unwrapArray: true });
    // One level deeper too: a path through an array of subdocuments yields arrays of values.
    const candidates = Array.isArray(found)
      ? found.flatMap((value: unknown) => (Array.isArray(value) ? value : [value]))
      : [found];
    for (const value of candidates) {
      if (value !== undefined) values.set(valueKey(value), value);
    }
  }
  // Under a collation "abc" and "ABC" may be one value: the first seen stands for both.
  const distinctValues = collationActive()
    ? [...values.values()].filter(
        (value, i, all) => all.findIndex((other) => valuesEqual(other, value)) === i,
      )
    : [...values.values()];
  return { values: distinctValues, ok: 1 };
};

export const readCommands: Record<string, CommandHandler> = { find, count, distinct };
