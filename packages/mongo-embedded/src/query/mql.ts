import { Aggregator, ProcessingMode, Query } from 'mingo';
import fullContext from 'mingo/init/context';
import { Context, OpType } from 'mingo/core';
import type { CollationSpec, Options, QueryOperator } from 'mingo/core';
import { MingoError } from 'mingo/util';
import { CommandError } from '../errors';
import { isDocument, valueKey, withIdFirst } from '../documents';
import type { Document } from '../documents';
import { toPlainNumbers } from '../bson/numbers';
import type { IndexDefinition } from '../storage/indexes';
import type { Collation } from './collation';
import { geoQueryOperators } from './geoOperators';
import { inSparseIndex, indexOrder, resolveHint } from './hint';
import { extractNear, nearest } from './near';
import { queryOperators } from './operators';
import { replaceAtPath, valueAtPath } from './paths';
import { matchedElementIndex } from './positional';
import { elementPredicate } from './pull';
import { retypeLike } from './retype';
import { sortDocuments } from './sort';
import { originalOf, plainView } from './views';

/*
 * The one place that talks to mingo. Filters, projections, sorts and pipelines are
 * evaluated by it; this module adds what a server needs around it: mongod's error
 * shape, stored documents left untouched, and mongod's field order in results.
 */

// Context.merge keeps the first context's operators where both define one.
const context = Context.merge(
  Context.init({
    [OpType.QUERY]: { ...queryOperators, ...geoQueryOperators } as unknown as Record<
      string,
      QueryOperator
    >,
  }),
  fullContext(),
);

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

/** There are no text indexes, so $text fails as it does in mongod without one. */
function textIndexRequired(): CommandError {
  return new CommandError(
    'IndexNotFound',
    'text index required for $text query (mongo-embedded has no text search; use a case-insensitive $regex)',
  );
}

/** mingo has no $text; say so plainly instead of mingo's "unknown top level operator". */
function newQuery(filter: Document, options: Partial<Options>): Query {
  if ('$text' in filter) throw textIndexRequired();
  if (mentions(filter, '$where')) {
    throw new CommandError('NotImplemented', '$where is not supported by mongo-embedded');
  }
  return evaluate(() => new Query(withDbRefEqualities(filter), options));
}

/** True when an operator appears anywhere in a filter. */
function mentions(value: unknown, operator: string): boolean {
  if (Array.isArray(value)) return value.some((item) => mentions(item, operator));
  if (!isDocument(value)) return false;
  return Object.entries(value).some(
    ([key, field]) => key === operator || mentions(field, operator),
  );
}

/**
 * A DBRef in a filter is a value to compare ({ author: DBRef(...) }), but its $ref/$id
 * fields would read to mingo as operators; an explicit $eq says what mongod understands.
 */
function withDbRefEqualities(filter: Document): Document {
  const rewritten: Document = {};
  for (const [key, condition] of Object.entries(filter)) {
    if (LOGICAL_OPERATORS.has(key) && Array.isArray(condition)) {
      rewritten[key] = condition.map((clause) =>
        isDocument(clause) ? withDbRefEqualities(clause) : clause,
      );
    } else if (isDocument(condition) && '$ref' in condition && '$id' in condition) {
      rewritten[key] = { $eq: condition };
    } else {
      rewritten[key] = condition;
    }
  }
  return rewritten;
}

const LOGICAL_OPERATORS = new Set(['$and', '$or', '$nor']);

export type DocumentPredicate = (document: Document) => boolean;

export function compileFilter(filter: Document): DocumentPredicate {
  const query = newQuery(filter, queryOptions);
  return (document) => evaluate(() => query.test(plainView(document)));
}

export interface Selection {
  filter?: Document | undefined;
  sort?: Document | undefined;
  skip?: number | undefined;
  /** 0 or absent means no limit, as in mongod. */
  limit?: number | undefined;
  projection?: Document | undefined;
  /** The collection's indexes, which $near needs to find a geo index and a hint names. */
  indexes?: readonly IndexDefinition[] | undefined;
  hint?: unknown;
}

/**
 * Filter, then sort, skip, limit and project: the order mongod applies a find's options.
 * Unprojected results are the stored documents themselves.
 */
export function selectDocuments(documents: Document[], selection: Selection): Document[] {
  return evaluate(() => {
    const { near, rest } = extractNear(selection.filter ?? {});
    const query = newQuery(rest, queryOptions);
    const indexes = selection.indexes ?? [];
    const scanned = hintedDocuments(documents.map(plainView), selection.hint, indexes);
    let selected = scanned.filter((view) => query.test(view));
    // Without a sort of its own, a $near query returns the nearest documents first.
    if (near) {
      const keys = indexes.map((index) => index.key);
      selected = nearest(selected, near, keys).map((result) => result.document);
    }
    if (selection.sort) selected = sortDocuments(selected, selection.sort);
    const start = selection.skip ?? 0;
    selected = selected.slice(start, selection.limit ? start + selection.limit : undefined);
    const projection = selection.projection;
    if (!projection || Object.keys(projection).length === 0) return selected.map(originalOf);
    return selected.map((view) => projectView(view, projection, rest));
  });
}

/**
 * { child: { name: 1 } } means 'child.name': 1 in mongod; mingo would read the inner
 * document as an expression and invent child.name from the root. Operators ($slice,
 * $elemMatch) and expressions stay as they are.
 */
function flattenProjection(projection: Document, prefix = ''): Document {
  const flat: Document = {};
  for (const [key, value] of Object.entries(projection)) {
    const nested =
      isDocument(value) &&
      Object.keys(value).length > 0 &&
      Object.keys(value).every((field) => !field.startsWith('$'));
    if (nested) Object.assign(flat, flattenProjection(value, `${prefix}${key}.`));
    else flat[`${prefix}${key}`] = value;
  }
  return flat;
}

/** The documents in the order, and of the membership, of the index a hint names. */
export function hintedDocuments<T extends Document>(
  documents: T[],
  hint: unknown,
  indexes: readonly IndexDefinition[],
): T[] {
  const scan = resolveHint(hint, indexes);
  if (!scan) return documents;
  if (scan.kind === 'natural') return scan.direction === 1 ? documents : [...documents].reverse();
  const { definition } = scan;
  const partial: unknown = definition['partialFilterExpression'];
  const inPartial = isDocument(partial) ? compileFilter(partial) : () => true;
  const held = documents.filter(
    (document) =>
      inPartial(document) &&
      inSparseIndex(definition, (path) => valueAtPath(document, path) !== undefined),
  );
  return sortDocuments(held, indexOrder(definition));
}

function projectView(view: Document, nestedProjection: Document, filter: Document): Document {
  const projection = flattenProjection(nestedProjection);
  // mingo's $elemMatch projection misreads conditions on scalars ({ $in: [...] }); the
  // element is picked here with $pull's rules, which are mongod's $elemMatch rules too.
  const elemMatches = Object.entries(projection).filter(
    ([, value]) => isDocument(value) && '$elemMatch' in value,
  );
  const forMingo = { ...projection };
  for (const [path] of elemMatches) forMingo[path] = 1;
  // mingo has no positional projection: the array is included whole and cut down below.
  const positional = Object.keys(projection).filter((path) => path.endsWith('.$'));
  for (const path of positional) {
    delete forMingo[path];
    forMingo[path.slice(0, -2)] = projection[path];
  }
  const [found] = new Query({}, queryOptions).find<Document>([view], forMingo).all();
  let projected = found ?? {};
  for (const [path, value] of elemMatches) {
    const array: unknown = view[path];
    const matches = elementPredicate((value as Document)['$elemMatch']);
    const first = Array.isArray(array) ? array.find(matches) : undefined;
    if (first === undefined) delete projected[path];
    else projected[path] = [first];
  }
  for (const path of positional) {
    const arrayPath = path.slice(0, -2);
    const index = matchedElementIndex(view, arrayPath, filter, compileFilter);
    if (index < 0) {
      throw new CommandError(
        'Location51246',
        "Executor error during find command :: caused by :: positional operator '.$' couldn't find a matching element in the array",
      );
    }
    replaceAtPath(projected, arrayPath, [(valueAtPath(view, arrayPath) as unknown[])[index]]);
  }
  // mongod reads a projection of nothing but $slice as "everything, with these arrays cut".
  if (Object.values(projection).every((value) => isDocument(value) && isSliceOnly(value))) {
    const whole = toPlainNumbers(view) as Document;
    for (const path of Object.keys(projection)) {
      replaceAtPath(whole, path, valueAtPath(projected, path));
    }
    projected = whole;
  }
  return withIdFirst(retypeLike(projected, originalOf(view)) as Document);
}

function isSliceOnly(value: Document): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === '$slice';
}

/** Projects one document; `filter` is the query that found it, for a positional `$`. */
export function project(
  document: Document,
  projection: Document | undefined,
  filter: Document = {},
): Document {
  if (!projection || Object.keys(projection).length === 0) return document;
  return evaluate(() => projectView(plainView(document), projection, filter));
}

/**
 * $count as mongod defines it, a $group and a $project: over no documents it yields no
 * document, where mingo's $count yields { n: 0 }. Nested pipelines get the same rewrite.
 */
function rewriteStages(pipeline: Document[]): Document[] {
  return pipeline.flatMap((stage): Document[] => {
    const [name] = Object.keys(stage);
    const body: unknown = name === undefined ? undefined : stage[name];
    if (name === '$count' && typeof body === 'string') {
      return [{ $group: { _id: null, [body]: { $sum: 1 } } }, { $project: { _id: 0 } }];
    }
    if ((name === '$lookup' || name === '$unionWith') && isDocument(body)) {
      const nested: unknown = body['pipeline'];
      if (Array.isArray(nested)) {
        return [{ [name]: { ...body, pipeline: rewriteStages(nested as Document[]) } }];
      }
    }
    if (name === '$facet' && isDocument(body)) {
      const facets = Object.entries(body).map(([key, stages]) => [
        key,
        Array.isArray(stages) ? rewriteStages(stages as Document[]) : stages,
      ]);
      return [{ $facet: Object.fromEntries(facets) }];
    }
    return [stage];
  });
}

export type CollectionResolver = (collectionName: string) => Document[];

/**
 * Stages that compare strings only through filters and sorts, which follow a collation;
 * other stages (grouping, lookups, set operators) would compare binary under one.
 */
const COLLATION_STAGES = new Set([
  '$match',
  '$sort',
  '$limit',
  '$skip',
  '$project',
  '$addFields',
  '$set',
  '$unset',
  '$count',
  '$replaceRoot',
  '$replaceWith',
  '$sample',
]);

export function runPipeline(
  documents: Document[],
  pipeline: Document[],
  resolveCollection: CollectionResolver,
  variables: Document = {},
  collation?: Collation,
): Document[] {
  for (const stage of pipeline) {
    const [name, ...extra] = Object.keys(stage);
    if (name === undefined || extra.length > 0) {
      throw new CommandError(
        'FailedToParse',
        'A pipeline stage specification object must contain exactly one field.',
      );
    }
    if (collation && !COLLATION_STAGES.has(name)) {
      throw new CommandError(
        'NotImplemented',
        `${name} under a collation is not supported by mongo-embedded`,
      );
    }
    if (name === '$match' && isDocument(stage[name]) && '$text' in stage[name]) {
      throw textIndexRequired();
    }
    if (WRITING_STAGES.has(name) || context.getOperator(OpType.PIPELINE, name) === null) {
      throw new CommandError(
        'UnrecognizedPipelineStage',
        `Unrecognized pipeline stage name: '${name}'${WRITING_STAGES.has(name) ? ' (not supported by mongo-embedded)' : ''}`,
      );
    }
  }
  const sources = new Map(documents.map((document) => [valueKey(document['_id']), document]));
  const results = evaluate(() =>
    new Aggregator(rewriteStages(pipeline), {
      ...queryOptions,
      // Several stages modify their input objects; the inputs are views of stored documents.
      processingMode: ProcessingMode.CLONE_INPUT,
      collectionResolver: (name) => resolveCollection(name).map(plainView),
      variables,
      ...(collation ? { collation: collation.mingoSpec as unknown as CollationSpec } : {}),
    }).run(documents.map(plainView)),
  );
  // A result that still carries a source's _id gets back the number types of that source.
  return results.map((result) => {
    const source = sources.get(valueKey(result['_id']));
    return source ? (retypeLike(result, source) as Document) : result;
  });
}
