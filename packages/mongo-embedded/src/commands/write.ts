import { ObjectId } from 'bson';
import { CommandError } from '../errors';
import { isDocument, sameBson, withIdFirst } from '../documents';
import type { Document } from '../documents';
import { selectDocuments } from '../query/mql';
import { applyUpdate, buildUpsertDocument } from '../query/update';
import { inStatementCollation } from './collation';
import type { CommandContext, CommandHandler } from './context';
import {
  optionalArray,
  optionalBoolean,
  optionalDocument,
  optionalNumber,
  requiredDocuments,
  requiredString,
  updateSpec,
} from './fields';

/**
 * Runs each statement of a write command in order. A failing statement becomes an entry of
 * writeErrors (the command itself still answers ok: 1, as mongod does); an ordered command
 * stops at the first one.
 */
function runStatements(
  command: Document,
  statements: Document[],
  runOne: (statement: Document, index: number) => void,
): Document[] {
  const ordered = optionalBoolean(command, 'ordered') ?? true;
  const writeErrors: Document[] = [];
  for (const [index, statement] of statements.entries()) {
    try {
      runOne(statement, index);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      writeErrors.push(error.toWriteError(index));
      if (ordered) break;
    }
  }
  return writeErrors;
}

function withWriteErrors(reply: Document, writeErrors: Document[]): Document {
  return writeErrors.length > 0 ? { ...reply, writeErrors, ok: 1 } : { ...reply, ok: 1 };
}

const insert: CommandHandler = (context) => {
  const { command } = context;
  const collection = context.store.forWrite(
    context.databaseName,
    requiredString(command, 'insert'),
  );
  const documents = requiredDocuments(command, 'documents');
  let inserted = 0;
  const writeErrors = runStatements(command, documents, (document) => {
    // Drivers add _id themselves; a document without one gets it here, first, like mongod.
    // An explicit _id: null is a value like any other and is kept.
    collection.insert(
      withIdFirst('_id' in document ? document : { _id: new ObjectId(), ...document }),
    );
    inserted++;
  });
  return withWriteErrors({ n: inserted }, writeErrors);
};

/** The fields of a statement mongod 7 knows; `sort` on an update arrived only in 8.0. */
const UPDATE_STATEMENT_FIELDS = new Set([
  'q',
  'u',
  'c',
  'multi',
  'upsert',
  'arrayFilters',
  'collation',
  'hint',
  'upsertSupplied',
]);
const DELETE_STATEMENT_FIELDS = new Set(['q', 'limit', 'collation', 'hint']);

function checkStatementFields(statement: Document, known: Set<string>, where: string): void {
  for (const field of Object.keys(statement)) {
    if (!known.has(field)) {
      throw new CommandError(
        'Location40415',
        `BSON field '${where}.${field}' is an unknown field.`,
      );
    }
  }
}

const update: CommandHandler = (context) => {
  const { command } = context;
  const collectionName = requiredString(command, 'update');
  const statements = requiredDocuments(command, 'updates');
  let matchedCount = 0;
  let modifiedCount = 0;
  const upserted: Document[] = [];
  // An unknown statement field fails the whole command, as mongod's parser does.
  for (const statement of statements) {
    checkStatementFields(statement, UPDATE_STATEMENT_FIELDS, 'update.updates');
  }
  const writeErrors = runStatements(command, statements, (statement, index) =>
    inStatementCollation(statement, () => {
      const filter = optionalDocument(statement, 'q') ?? {};
      const spec = updateSpec(statement['u'], 'update.updates.u');
      const multi = optionalBoolean(statement, 'multi') ?? false;
      const arrayFilters = optionalArray(statement, 'arrayFilters')?.filter(isDocument);
      const collection = context.store.find(context.databaseName, collectionName);
      const matching = selectDocuments(collection?.candidatesFor(filter) ?? [], {
        filter,
        limit: multi ? 0 : 1,
        indexes: collection?.indexDefinitions(),
      });
      for (const current of matching) {
        const next = applyUpdate(current, spec, { arrayFilters, filter, inserting: false });
        matchedCount++;
        if (sameBson(current, next)) continue;
        collection?.replace(current, next);
        modifiedCount++;
      }
      if (matching.length === 0 && optionalBoolean(statement, 'upsert')) {
        const document = buildUpsertDocument(filter, spec, { arrayFilters });
        context.store.forWrite(context.databaseName, collectionName).insert(document);
        matchedCount++;
        upserted.push({ index, _id: document['_id'] });
      }
    }),
  );
  const reply: Document = { n: matchedCount, nModified: modifiedCount };
  if (upserted.length > 0) reply['upserted'] = upserted;
  return withWriteErrors(reply, writeErrors);
};

const remove: CommandHandler = (context: CommandContext) => {
  const { command } = context;
  const collection = context.store.find(context.databaseName, requiredString(command, 'delete'));
  const statements = requiredDocuments(command, 'deletes');
  let deleted = 0;
  for (const statement of statements) {
    checkStatementFields(statement, DELETE_STATEMENT_FIELDS, 'delete.deletes');
  }
  const writeErrors = runStatements(command, statements, (statement) =>
    inStatementCollation(statement, () => {
      const filter = optionalDocument(statement, 'q') ?? {};
      const limit = optionalNumber(statement, 'limit') ?? 0;
      if (limit !== 0 && limit !== 1) {
        throw new CommandError(
          'FailedToParse',
          `The limit field in delete objects must be 0 or 1. Got ${limit}`,
        );
      }
      for (const document of selectDocuments(collection?.candidatesFor(filter) ?? [], {
        filter,
        limit,
        indexes: collection?.indexDefinitions(),
      })) {
        collection?.remove(document);
        deleted++;
      }
    }),
  );
  return withWriteErrors({ n: deleted }, writeErrors);
};

export const writeCommands: Record<string, CommandHandler> = { insert, update, delete: remove };
