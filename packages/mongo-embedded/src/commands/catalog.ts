import { calculateObjectSize } from 'bson';
import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { parseCollation } from '../query/collation';
import { selectDocuments } from '../query/mql';
import type { Collection } from '../storage/collection';
import { checkCappedOptions } from '../storage/capped';
import { idIndexDefinition } from '../storage/indexes';
import type { CommandHandler } from './context';
import { namespaceOf } from './context';
import { optionalBoolean, optionalDocument, optionalNumber, requiredString } from './fields';

/** create options whose behaviour is not implemented; accepting them would pretend it is. */
const UNSUPPORTED_CREATE_OPTIONS = [
  'viewOn',
  'pipeline',
  'timeseries',
  'validator',
  'clusteredIndex',
  'changeStreamPreAndPostImages',
  'encryptedFields',
];

/** Fields of a create command that are not collection options. */
const CREATE_COMMAND_FIELDS = new Set([
  'create',
  '$db',
  'lsid',
  '$clusterTime',
  'txnNumber',
  'writeConcern',
  'comment',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  '$readPreference',
]);

function describeCollection(collection: Collection): Document {
  return {
    name: collection.name,
    type: 'collection',
    options: collection.options,
    info: { readOnly: false, uuid: collection.uuid },
    idIndex: idIndexDefinition(),
  };
}

const listCollections: CommandHandler = (context) => {
  const { command } = context;
  const nameOnly = optionalBoolean(command, 'nameOnly') ?? false;
  const described = context.store
    .collections(context.databaseName)
    .map((collection) =>
      nameOnly ? { name: collection.name, type: 'collection' } : describeCollection(collection),
    );
  const results = selectDocuments(described, { filter: optionalDocument(command, 'filter') });
  const cursorOptions = optionalDocument(command, 'cursor') ?? {};
  const cursor = context.cursors.open(namespaceOf(context, '$cmd.listCollections'), results, {
    batchSize: optionalNumber(cursorOptions, 'batchSize'),
  });
  return { cursor, ok: 1 };
};

const create: CommandHandler = (context) => {
  const { command } = context;
  const collectionName = requiredString(command, 'create');
  const options: Document = {};
  for (const [field, value] of Object.entries(command)) {
    if (CREATE_COMMAND_FIELDS.has(field)) continue;
    if (UNSUPPORTED_CREATE_OPTIONS.includes(field) && value !== false) {
      throw new CommandError(
        'InvalidOptions',
        `the '${field}' option of create is not supported by mongo-embedded`,
      );
    }
    options[field] = value;
  }
  checkCappedOptions(options);
  // A collection's default collation is kept as mongod reports it; "simple" is no collation.
  const collation = parseCollation(options['collation']);
  if (collation) options['collation'] = collation.spec;
  else delete options['collation'];
  context.store.create(context.databaseName, collectionName, options);
  return { ok: 1 };
};

const drop: CommandHandler = (context) => {
  const collectionName = requiredString(context.command, 'drop');
  const dropped = context.store.drop(context.databaseName, collectionName);
  if (!dropped) return { ok: 1 };
  return {
    nIndexesWas: dropped.indexDefinitions().length,
    ns: namespaceOf(context, collectionName),
    ok: 1,
  };
};

const dropDatabase: CommandHandler = (context) => {
  context.store.dropDatabase(context.databaseName);
  return { dropped: context.databaseName, ok: 1 };
};

const listDatabases: CommandHandler = (context) => {
  if (context.databaseName !== 'admin') {
    throw new CommandError(
      'Unauthorized',
      'listDatabases may only be run against the admin database.',
    );
  }
  const nameOnly = optionalBoolean(context.command, 'nameOnly') ?? false;
  const databases = context.store.databaseNames().map((name) => {
    if (nameOnly) return { name };
    const sizeOnDisk = context.store
      .collections(name)
      .flatMap((collection) => collection.all())
      .reduce((total, document) => total + calculateObjectSize(document), 0);
    return { name, sizeOnDisk, empty: sizeOnDisk === 0 };
  });
  const filtered = selectDocuments(databases, {
    filter: optionalDocument(context.command, 'filter'),
  });
  const totalSize = filtered.reduce(
    (total, database) => total + Number(database['sizeOnDisk'] ?? 0),
    0,
  );
  return nameOnly
    ? { databases: filtered, ok: 1 }
    : { databases: filtered, totalSize, totalSizeMb: Math.floor(totalSize / 1024 / 1024), ok: 1 };
};

function splitNamespace(namespace: string): [string, string] {
  const dot = namespace.indexOf('.');
  if (dot <= 0 || dot === namespace.length - 1) {
    throw new CommandError('InvalidNamespace', `Invalid namespace specified '${namespace}'`);
  }
  return [namespace.slice(0, dot), namespace.slice(dot + 1)];
}

const renameCollection: CommandHandler = (context) => {
  if (context.databaseName !== 'admin') {
    throw new CommandError(
      'Unauthorized',
      'renameCollection may only be run against the admin database.',
    );
  }
  const from = splitNamespace(requiredString(context.command, 'renameCollection'));
  const to = splitNamespace(requiredString(context.command, 'to'));
  const dropTarget = optionalBoolean(context.command, 'dropTarget') ?? false;
  context.store.rename(from, to, dropTarget);
  return { ok: 1 };
};

/** collMod options this server can change: an index's hidden flag and TTL. */
const collMod: CommandHandler = (context) => {
  const { command } = context;
  const collectionName = requiredString(command, 'collMod');
  const collection = context.store.find(context.databaseName, collectionName);
  if (!collection) {
    throw new CommandError(
      'NamespaceNotFound',
      `ns does not exist: ${namespaceOf(context, collectionName)}`,
    );
  }
  const reply: Document = {};
  for (const [field, value] of Object.entries(command)) {
    if (field === 'collMod' || CREATE_COMMAND_FIELDS.has(field)) continue;
    if (field !== 'index' || !isDocument(value)) {
      throw new CommandError(
        'InvalidOptions',
        `the '${field}' option of collMod is not supported by mongo-embedded`,
      );
    }
    const { keyPattern, name, ...changes } = value;
    const indexName =
      typeof name === 'string'
        ? name
        : isDocument(keyPattern)
          ? collection.indexNamed(keyPattern)
          : undefined;
    if (indexName === undefined || !collection.hasIndex(indexName)) {
      throw new CommandError('IndexNotFound', `cannot find index ${JSON.stringify(value)}`);
    }
    for (const option of Object.keys(changes)) {
      if (option !== 'hidden' && option !== 'expireAfterSeconds') {
        throw new CommandError(
          'InvalidOptions',
          `the index option '${option}' of collMod is not supported by mongo-embedded`,
        );
      }
    }
    const before = collection.modifyIndex(indexName, changes);
    for (const option of Object.keys(changes)) {
      reply[`${option}_old`] = before[option] ?? false;
      reply[`${option}_new`] = changes[option];
    }
  }
  return { ...reply, ok: 1 };
};

export const catalogCommands: Record<string, CommandHandler> = {
  renameCollection,
  collMod,
  listCollections,
  create,
  drop,
  dropDatabase,
  listDatabases,
};
