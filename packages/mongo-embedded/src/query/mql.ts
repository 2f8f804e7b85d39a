import { Aggregator, ProcessingMode, Query } from 'mingo';
import type { Context } from 'mingo';
import fullContext from 'mingo/init/context';
import { OpType } from 'mingo/core';
import type { Options } from 'mingo/core';
import { MingoError } from 'mingo/util';
import { CommandError } from '../errors';
import { withIdFirst } from '../documents';
import type { Document } from '../documents';

/*
 * The one place that talks to mingo. Filters, projections, sorts and pipelines are
 * evaluated by it; this module adds what a server needs around it: mongod's error
 * shape, stored documents left untouched, and mongod's field order in results.
 */

const context: Context = fullContext();

const queryOptions: Partial<Options> = {
  context,
  // Clients send server-side JavaScript as BSON Code, which cannot run here; refuse it.
  scriptEnabled: false,
  useGlobalContext: false,
};

/** Pipeline stages that would write around the storage layer (and its unique indexes). */
const WRITING_STAGES = new Set(['$out', '$merge']);

/** Runs a mingo call, turning its complaints about a query into mongod's BadValue reply. */
export function evaluate<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof MingoError) throw new CommandError('BadValue', error.message);
    throw error;
  }
}

/** mingo has no $text; say so plainly instead of mingo's "unknown top level operator". */
function newQuery(filter: Document, options: Partial<Options>): Query {
  if ('$text' in filter) {
    throw new CommandError(
      'BadValue',
      '$text is not supported by mongo-embedded (no text indexes); use a case-insensitive $regex',
    );
  }
  return evaluate(() => new Query(filter, options));
}

export type DocumentPredicate = (document: Document) => boolean;

export function compileFilter(filter: Document): DocumentPredicate {
  const query = newQuery(filter, queryOptions);
  return (document) => evaluate(() => query.test(document));
}

export interface Selection {
  filter?: Document | undefined;
  sort?: Document | undefined;
  skip?: number | undefined;
  /** 0 or absent means no limit, as in mongod. */
  limit?: number | undefined;
  projection?: Document | undefined;
  /** mingo applies a collation to sorting only, not to matching. */
  collation?: Document | undefined;
}

/** Filter, then sort, skip, limit and project: the order mongod applies a find's options. */
export function selectDocuments(documents: Document[], selection: Selection): Document[] {
  return evaluate(() => {
    const options = selection.collation
      ? { ...queryOptions, collation: selection.collation as Options['collation'] }
      : queryOptions;
    const cursor = newQuery(selection.filter ?? {}, options).find<Document>(
      documents,
      selection.projection ?? {},
    );
    if (selection.sort && Object.keys(selection.sort).length > 0) cursor.sort(selection.sort);
    if (selection.skip) cursor.skip(selection.skip);
    if (selection.limit) cursor.limit(selection.limit);
    const selected = cursor.all();
    return selection.projection ? selected.map(withIdFirst) : selected;
  });
}

export function project(document: Document, projection: Document | undefined): Document {
  if (!projection || Object.keys(projection).length === 0) return document;
  return selectDocuments([document], { projection })[0] ?? {};
}

export type CollectionResolver = (collectionName: string) => Document[];

export function runPipeline(
  documents: Document[],
  pipeline: Document[],
  resolveCollection: CollectionResolver,
  variables: Document = {},
): Document[] {
  for (const stage of pipeline) {
    const [name, ...extra] = Object.keys(stage);
    if (name === undefined || extra.length > 0) {
      throw new CommandError(
        'FailedToParse',
        'A pipeline stage specification object must contain exactly one field.',
      );
    }
    if (WRITING_STAGES.has(name) || context.getOperator(OpType.PIPELINE, name) === null) {
      throw new CommandError(
        'UnrecognizedPipelineStage',
        `Unrecognized pipeline stage name: '${name}'${WRITING_STAGES.has(name) ? ' (not supported by mongo-embedded)' : ''}`,
      );
    }
  }
  return evaluate(() =>
    new Aggregator(pipeline, {
      ...queryOptions,
      // Several stages modify their input objects; the inputs are the stored documents.
      processingMode: ProcessingMode.CLONE_INPUT,
      collectionResolver: resolveCollection,
      variables,
    }).run(documents),
  );
}
