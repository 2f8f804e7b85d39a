import { CommandError } from '../errors';
import { isDocument, sameBson } from '../documents';
import type { Document } from '../documents';
import { project, selectDocuments } from '../query/mql';
import { applyUpdate, buildUpsertDocument } from '../query/update';
import type { UpdateSpec } from '../query/update';
import type { CommandHandler } from './context';
import {
  optionalArray,
  optionalBoolean,
  optionalDocument,
  requiredString,
  updateSpec,
} from './fields';

function updateSpecOf(command: Document): UpdateSpec | undefined {
  const spec: unknown = command['update'];
  if (spec === undefined || spec === null) return undefined;
  return updateSpec(spec, 'findAndModify.update');
}

/**
 * Finds one document and updates or removes it in the same synchronous step, which is what
 * makes concurrent findOneAndUpdate calls with $inc lose nothing. Errors, E11000 included,
 * are command errors here, not writeErrors.
 */
const findAndModify: CommandHandler = (context) => {
  const { command, store, databaseName } = context;
  const collectionName = requiredString(command, Object.keys(command)[0] ?? 'findAndModify');
  const filter = optionalDocument(command, 'query') ?? {};
  const fields = optionalDocument(command, 'fields');
  const spec = updateSpecOf(command);
  const remove = optionalBoolean(command, 'remove') ?? false;
  const returnNew = optionalBoolean(command, 'new') ?? false;
  const upsert = optionalBoolean(command, 'upsert') ?? false;
  const arrayFilters = optionalArray(command, 'arrayFilters')?.filter(isDocument);
  if (remove && spec !== undefined) {
    throw new CommandError('FailedToParse', 'Cannot specify both an update and remove=true');
  }
  if (!remove && spec === undefined) {
    throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified');
  }
  if (remove && (upsert || returnNew)) {
    throw new CommandError(
      'FailedToParse',
      `Cannot specify both ${upsert ? 'upsert' : 'new'}=true and remove=true`,
    );
  }

  const collection = store.find(databaseName, collectionName);
  const [current] = selectDocuments(collection?.candidatesFor(filter) ?? [], {
    filter,
    sort: optionalDocument(command, 'sort'),
    limit: 1,
    indexes: collection?.indexDefinitions(),
  });
  const reply = (lastErrorObject: Document, value: Document | undefined): Document => ({
    lastErrorObject,
    value: value ? project(value, fields, filter) : null,
    ok: 1,
  });

  if (remove || spec === undefined) {
    if (!current || !collection) return reply({ n: 0 }, undefined);
    collection.remove(current);
    return reply({ n: 1 }, current);
  }
  if (current && collection) {
    const next = applyUpdate(current, spec, { arrayFilters, filter, inserting: false });
    if (!sameBson(current, next)) collection.replace(current, next);
    return reply({ n: 1, updatedExisting: true }, returnNew ? next : current);
  }
  if (!upsert) return reply({ n: 0, updatedExisting: false }, undefined);
  const inserted = buildUpsertDocument(filter, spec, { arrayFilters });
  store.forWrite(databaseName, collectionName).insert(inserted);
  return reply(
    { n: 1, updatedExisting: false, upserted: inserted['_id'] },
    returnNew ? inserted : undefined,
  );
};

export const findAndModifyCommands: Record<string, CommandHandler> = {
  findAndModify,
  // mongod still accepts the historical lower-case spelling.
  findandmodify: findAndModify,
};
