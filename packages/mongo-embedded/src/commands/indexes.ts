import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import type { IndexDefinition } from '../storage/indexes';
import { ID_INDEX_NAME } from '../storage/indexes';
import { parseCollation } from '../query/collation';
import type { CommandContext, CommandHandler } from './context';
import { checkIndexSpec } from './indexRules';
import { namespaceOf } from './context';
import { optionalDocument, optionalNumber, requiredDocuments, requiredString } from './fields';

/**
 * An index spec as mongod stores it. An index without a collation of its own takes the
 * collection's default; a collation is kept in mongod's full form, "simple" as none.
 */
function toDefinition(spec: Document, collectionDefault: unknown): IndexDefinition {
  checkIndexSpec(spec);
  const { key, name, v: _version, collation: own, ...options } = spec;
  const collation = parseCollation(own === undefined ? collectionDefault : own);
  if (collation) options['collation'] = collation.spec;
  if (!isDocument(key) || Object.keys(key).length === 0) {
    throw new CommandError(
      'CannotCreateIndex',
      "The 'key' field of an index must be a non-empty object",
    );
  }
  if (typeof name !== 'string' || name.length === 0) {
    throw new CommandError('CannotCreateIndex', "The 'name' field of an index is required");
  }
  // An explicit false is the default; dropping it keeps "unique: false" equal to no option.
  for (const option of ['unique', 'sparse']) {
    if (options[option] === false) delete options[option];
  }
  return { v: 2, key, name, ...options };
}

const createIndexes: CommandHandler = (context) => {
  const { command, store, databaseName } = context;
  const collectionName = requiredString(command, 'createIndexes');
  const existing = store.find(databaseName, collectionName);
  const collectionDefault = existing?.options['collation'];
  const definitions = requiredDocuments(command, 'indexes').map((spec) =>
    toDefinition(spec, collectionDefault),
  );
  const existed = existing !== undefined;
  const collection = store.forWrite(databaseName, collectionName);
  const before = collection.indexDefinitions().length;
  for (const definition of definitions) collection.createIndex(definition);
  const after = collection.indexDefinitions().length;
  return {
    numIndexesBefore: before,
    numIndexesAfter: after,
    createdCollectionAutomatically: !existed,
    ...(before === after ? { note: 'all indexes already exist' } : {}),
    ok: 1,
  };
};

function collectionOrNotFound(context: CommandContext, collectionName: string) {
  const collection = context.store.find(context.databaseName, collectionName);
  if (!collection) {
    throw new CommandError(
      'NamespaceNotFound',
      `ns does not exist: ${namespaceOf(context, collectionName)}`,
    );
  }
  return collection;
}

const listIndexes: CommandHandler = (context) => {
  const collectionName = requiredString(context.command, 'listIndexes');
  const collection = collectionOrNotFound(context, collectionName);
  const cursorOptions = optionalDocument(context.command, 'cursor') ?? {};
  const cursor = context.cursors.open(
    namespaceOf(context, collectionName),
    collection.indexDefinitions().map((definition) => ({ ...definition })),
    { batchSize: optionalNumber(cursorOptions, 'batchSize') },
  );
  return { cursor, ok: 1 };
};

/** Accepts "*", a name, a key pattern, or a list of names, as mongod does. */
const dropIndexes: CommandHandler = (context) => {
  const { command } = context;
  const collectionName = requiredString(command, Object.keys(command)[0] ?? 'dropIndexes');
  const collection = collectionOrNotFound(context, collectionName);
  const nIndexesWas = collection.indexDefinitions().length;
  const target: unknown = command['index'];
  let names: string[];
  if (target === '*') {
    names = collection
      .indexDefinitions()
      .map((definition) => definition.name)
      .filter((name) => name !== ID_INDEX_NAME);
  } else if (typeof target === 'string') {
    names = [target];
  } else if (Array.isArray(target) && target.every((name) => typeof name === 'string')) {
    names = target;
  } else if (isDocument(target)) {
    const name = collection.indexNamed(target);
    if (name === undefined) {
      throw new CommandError(
        'IndexNotFound',
        `can't find index with key: ${JSON.stringify(target)}`,
      );
    }
    names = [name];
  } else {
    throw new CommandError('TypeMismatch', "BSON field 'dropIndexes.index' has the wrong type");
  }
  // Check every name first so that a bad one in a list drops nothing.
  for (const name of names) {
    if (name === ID_INDEX_NAME) throw new CommandError('InvalidOptions', 'cannot drop _id index');
    if (!collection.hasIndex(name)) {
      throw new CommandError('IndexNotFound', `index not found with name [${name}]`);
    }
  }
  for (const name of names) collection.dropIndex(name);
  return { nIndexesWas, ok: 1 };
};

export const indexCommands: Record<string, CommandHandler> = {
  createIndexes,
  listIndexes,
  dropIndexes,
  // The shell's older name for dropIndexes, still accepted by mongod.
  deleteIndexes: dropIndexes,
};
