import { Binary, ObjectId } from 'bson';
import { update as applyOperator } from 'mingo';
import type { UpdateExpression } from 'mingo/updater';
import { CommandError } from '../errors';
import { cloneDocument, isDocument, valueKey, withIdFirst } from '../documents';
import type { Document } from '../documents';
import { toPlainNumbers } from '../bson/numbers';
import { collationActive } from './compare';
import { compileFilter, evaluate, runPipeline } from './mql';
import { replaceAtPath, valueAtPath } from './paths';
import { matchedElementIndex } from './positional';
import { pullInPlace } from './pull';
import { checkConflicts, checkOperandTypes } from './updateChecks';
import { retypeUpdated } from './updateTypes';

/** The update operators mingo implements, plus $setOnInsert which only matters to upserts. */
const OPERATORS = new Set([
  '$addToSet',
  '$bit',
  '$currentDate',
  '$inc',
  '$max',
  '$min',
  '$mul',
  '$pop',
  '$pull',
  '$pullAll',
  '$push',
  '$rename',
  '$set',
  '$setOnInsert',
  '$unset',
]);

/** The stages mongod allows in a pipeline-style update. */
const UPDATE_PIPELINE_STAGES = new Set([
  '$addFields',
  '$set',
  '$project',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
]);

export type UpdateSpec = Document | Document[];

export interface UpdateOptions {
  arrayFilters?: Document[] | undefined;
  /** The statement's filter, which the positional `$` operator refers to. */
  filter?: Document | undefined;
  /** True when the update shapes a document an upsert is about to insert. */
  inserting: boolean;
}

/** Returns the updated copy of `current`; `current` itself is never modified. */
export function applyUpdate(current: Document, spec: UpdateSpec, options: UpdateOptions): Document {
  const updated = Array.isArray(spec)
    ? applyPipeline(current, spec)
    : isOperatorUpdate(spec)
      ? applyOperators(current, spec, options)
      : replaceDocument(current, spec);
  if (!options.inserting && valueKey(updated['_id']) !== valueKey(current['_id'])) {
    throw new CommandError(
      'ImmutableField',
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    );
  }
  return withIdFirst(updated);
}

/** The document an upsert inserts when nothing matched: the filter's equalities, then the update. */
export function buildUpsertDocument(
  filter: Document,
  spec: UpdateSpec,
  options: Omit<UpdateOptions, 'inserting'>,
): Document {
  const equalities = equalitiesOf(filter);
  const replacement = !Array.isArray(spec) && !isOperatorUpdate(spec);
  const { _id: filterId, ...seed } = replacement ? { _id: equalities['_id'] } : equalities;
  // _id: null in the filter is a value the upserted document keeps, as in mongod.
  const base = { _id: filterId === undefined ? new ObjectId() : filterId, ...seed };
  return applyUpdate(base, spec, { ...options, inserting: true });
}

export function isOperatorUpdate(spec: Document): boolean {
  const keys = Object.keys(spec);
  return keys.length > 0 && keys.every((key) => key.startsWith('$'));
}

function applyOperators(current: Document, spec: Document, options: UpdateOptions): Document {
  checkConflicts(spec);
  const updated = toPlainNumbers(current) as Document;
  const applied: Array<[string, Document]> = [];
  for (const [operator, fields] of Object.entries(spec)) {
    if (!OPERATORS.has(operator)) {
      throw new CommandError(
        'FailedToParse',
        `Unknown modifier: ${operator}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    if (!isDocument(fields)) {
      throw new CommandError(
        'FailedToParse',
        `Modifiers operate on fields but we found type ${typeof fields} instead. For example: {$mod: {<field>: ...}} not {${operator}: ${String(fields)}}`,
      );
    }
    if (operator === '$setOnInsert' && !options.inserting) continue;
    // mingo compares these operators' elements binary; mongod uses the collation.
    if ((operator === '$addToSet' || operator === '$pullAll') && collationActive()) {
      throw new CommandError(
        'NotImplemented',
        `${operator} under a collation is not supported by mongo-embedded`,
      );
    }
    const positioned = withoutMissingArrays(
      operator,
      resolvePositional(fields, updated, options.filter ?? {}),
      updated,
    );
    checkOperandTypes(updated, operator, positioned, options.inserting);
    applied.push([operator, positioned]);
    const remaining =
      operator === '$pull'
        ? pullInPlace(updated, toPlainNumbers(positioned) as Document)
        : positioned;
    if (Object.keys(remaining).length === 0) continue;
    // mingo types an expression per operator name; the name was checked against OPERATORS.
    const expression = {
      [operator === '$setOnInsert' ? '$set' : operator]: toPlainNumbers(remaining),
    } as unknown as UpdateExpression;
    applyMingoOperator(updated, expression, options.arrayFilters ?? []);
    if (operator === '$set' || operator === '$setOnInsert') setBinariesExactly(updated, remaining);
  }
  return retypeUpdated(updated, current, applied);
}

/**
 * mingo's $set leaves a value alone when it deems it equal to the new one, and it compares
 * Binary values by their bytes only; mongod stores the new subtype too.
 */
function setBinariesExactly(document: Document, fields: Document): void {
  for (const [path, value] of Object.entries(fields)) {
    if (value instanceof Binary && !path.includes('$')) replaceAtPath(document, path, value);
  }
}

/** `$`, `$[]` and `$[id]`: the path components that name array elements. */
const POSITIONAL_COMPONENT = /^\$(\[[^\]]*\])?$/;

/**
 * Removing from a missing array, or unsetting a missing field, changes nothing in mongod;
 * mingo would fail on some of them, such as a path through a literal `$*` field that
 * mongoose's maps send ({ $unset: { 'map.$*._id': 1 } }).
 */
function withoutMissingArrays(operator: string, fields: Document, document: Document): Document {
  if (operator === '$unset') {
    return Object.fromEntries(
      Object.entries(fields).filter(
        ([path]) =>
          path.split('.').some((segment) => POSITIONAL_COMPONENT.test(segment)) ||
          valueAtPath(document, path) !== undefined,
      ),
    );
  }
  if (operator !== '$pull' && operator !== '$pullAll' && operator !== '$pop') return fields;
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([path]) => path.includes('$') || valueAtPath(document, path) !== undefined,
    ),
  );
}

/**
 * mingo fails some updates with a TypeError rather than its own error (e.g. $push into a
 * string inside an array filter). Either way it is this statement's failure, reported as a
 * write error, never a crash of the whole command.
 */
function applyMingoOperator(
  document: Document,
  expression: UpdateExpression,
  arrayFilters: Document[],
): void {
  try {
    evaluate(() => applyOperator(document, expression, arrayFilters, {}, { cloneMode: 'deep' }));
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError('BadValue', error instanceof Error ? error.message : String(error));
  }
}

function applyPipeline(current: Document, pipeline: Document[]): Document {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? '';
    if (!UPDATE_PIPELINE_STAGES.has(name)) {
      throw new CommandError(
        'InvalidOptions',
        `${name} is not allowed to be used within an update`,
      );
    }
  }
  const [updated] = runPipeline([current], pipeline, () => []);
  if (!updated) throw new CommandError('BadValue', 'update pipeline produced no document');
  return updated;
}

function replaceDocument(current: Document, replacement: Document): Document {
  const { _id, ...fields } = cloneDocument(replacement);
  return { _id: _id ?? current['_id'], ...fields };
}

/**
 * Rewrites `items.$.quantity` to `items.2.quantity`, 2 being the first element the filter's
 * conditions on `items` match. mingo has no positional operator, so it is resolved here by
 * testing those conditions against each element alone.
 */
function resolvePositional(fields: Document, document: Document, filter: Document): Document {
  const resolved: Document = {};
  for (const [path, value] of Object.entries(fields)) {
    const segments = path.split('.');
    const position = segments.indexOf('$');
    if (position < 0) {
      resolved[path] = value;
      continue;
    }
    const arrayPath = segments.slice(0, position).join('.');
    const index = matchedElementIndex(document, arrayPath, filter, compileFilter);
    if (index < 0) {
      throw new CommandError(
        'BadValue',
        'The positional operator did not find the match needed from the query.',
      );
    }
    segments[position] = String(index);
    resolved[segments.join('.')] = value;
  }
  return resolved;
}

/** The fields an upsert copies from its filter: plain equalities and $eq, also inside $and. */
function equalitiesOf(filter: Document): Document {
  const seed: Document = {};
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(condition)) {
      for (const clause of condition) {
        if (isDocument(clause)) mergeInto(seed, equalitiesOf(clause));
      }
    } else if (key.startsWith('$') || condition instanceof RegExp) {
      continue;
    } else if (isDocument(condition) && Object.keys(condition).some((k) => k.startsWith('$'))) {
      if ('$eq' in condition) setPath(seed, key, condition['$eq']);
    } else {
      setPath(seed, key, condition);
    }
  }
  return seed;
}

function setPath(target: Document, path: string, value: unknown): void {
  const segments = path.split('.');
  const last = segments.pop() ?? path;
  let node = target;
  for (const segment of segments) {
    const next: unknown = node[segment];
    if (isDocument(next)) {
      node = next;
    } else {
      const created: Document = {};
      node[segment] = created;
      node = created;
    }
  }
  node[last] = value;
}

function mergeInto(target: Document, source: Document): void {
  for (const [key, value] of Object.entries(source)) setPath(target, key, value);
}
