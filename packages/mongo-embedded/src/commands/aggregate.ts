import { CommandError } from '../errors';
import { cloneDocument, isDocument } from '../documents';
import type { Document } from '../documents';
import { runGeoNear } from '../query/geoNearStage';
import { hintedDocuments, runPipeline } from '../query/mql';
import { collationOf } from './collation';
import type { CommandHandler } from './context';
import { explainCommand } from './explain';
import { namespaceOf } from './context';
import { optionalDocument, optionalNumber, requiredDocuments } from './fields';

/** A pipeline that starts with a $match on _id reads only the documents that match names. */
function leadingMatch(command: Document): Document | undefined {
  const pipeline: unknown = command['pipeline'];
  const first: unknown = Array.isArray(pipeline) ? pipeline[0] : undefined;
  return isDocument(first) && isDocument(first['$match']) ? first['$match'] : undefined;
}

const aggregate: CommandHandler = (context) => {
  const { command, store, databaseName } = context;
  const target: unknown = command['aggregate'];
  if (command['explain'] === true) {
    const { explain: _explain, ...explained } = command;
    return explainCommand(() => ({ ok: 1 }))({
      ...context,
      command: { explain: explained, verbosity: 'queryPlanner' },
    });
  }
  const cursorOptions = optionalDocument(command, 'cursor');
  if (!cursorOptions) {
    throw new CommandError(
      'FailedToParse',
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  // { aggregate: 1 } runs a collectionless pipeline, such as one starting with $documents.
  let input: Document[];
  let namespace: string;
  if (typeof target === 'string') {
    input = store.find(databaseName, target)?.candidatesFor(leadingMatch(command)) ?? [];
    namespace = namespaceOf(context, target);
  } else if (target === 1) {
    input = [];
    namespace = namespaceOf(context, '$cmd.aggregate');
  } else {
    throw new CommandError(
      'FailedToParse',
      "Invalid command format: the 'aggregate' field must specify a collection name or 1",
    );
  }
  const pipeline = requiredDocuments(command, 'pipeline');
  if (pipeline[0] && '$changeStream' in pipeline[0]) {
    throw new CommandError(
      'Location40573',
      'The $changeStream stage is only supported on replica sets',
    );
  }
  if (pipeline.slice(1).some((stage) => '$geoNear' in stage)) {
    throw new CommandError(
      'Location40603',
      '$geoNear is only valid as the first stage in a pipeline',
    );
  }
  const collection = typeof target === 'string' ? store.find(databaseName, target) : undefined;
  input = hintedDocuments(input, command['hint'], collection?.indexDefinitions() ?? []);
  let stages = pipeline;
  if (pipeline[0] && '$geoNear' in pipeline[0]) {
    const indexKeys = collection?.indexKeys() ?? [];
    input = runGeoNear(pipeline[0]['$geoNear'], input, indexKeys, namespace);
    stages = pipeline.slice(1);
  }
  const variables = optionalDocument(command, 'let') ?? {};
  const results = runPipeline(
    input,
    stages,
    // $lookup and $unionWith read other collections; copies keep stored documents untouched.
    (name) => (store.find(databaseName, name)?.all() ?? []).map(cloneDocument),
    variables,
    collationOf(context),
  );
  const cursor = context.cursors.open(namespace, results, {
    batchSize: optionalNumber(cursorOptions, 'batchSize'),
  });
  return { cursor, ok: 1 };
};

export const aggregateCommands: Record<string, CommandHandler> = { aggregate };
