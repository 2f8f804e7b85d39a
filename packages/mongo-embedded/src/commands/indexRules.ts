import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { SEMANTIC_INDEX_OPTIONS } from '../storage/indexes';

/*
 * The index specifications mongod 7 refuses, refused here with its codes, so an index that
 * works in development is one production accepts too.
 */

const INDEX_TYPES = new Set(['2d', '2dsphere', 'text', 'hashed']);

const INDEX_OPTIONS = new Set([
  'v',
  'key',
  'name',
  ...SEMANTIC_INDEX_OPTIONS,
  'default_language',
  'language_override',
  'textIndexVersion',
  '2dsphereIndexVersion',
  'bits',
  'min',
  'max',
  'background',
  'hidden',
  'storageEngine',
  'wildcardProjection',
  'ns',
  'prepareUnique',
]);

/** Operators a partial filter may use in mongod 7 (inside $and and a top-level $or). */
const PARTIAL_OPERATORS = new Set(['$eq', '$exists', '$gt', '$gte', '$lt', '$lte', '$type', '$in']);

function describe(condition: unknown): string {
  return JSON.stringify(condition);
}

function checkPartialFilter(filter: Document, depth: number): void {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' || (key === '$or' && depth === 0)) {
      if (!Array.isArray(condition)) continue;
      for (const clause of condition) if (isDocument(clause)) checkPartialFilter(clause, depth + 1);
      continue;
    }
    if (key.startsWith('$')) {
      throw new CommandError(
        'CannotCreateIndex',
        `Expression not supported in partial index: ${key} ${describe(condition)}`,
      );
    }
    if (condition instanceof RegExp) {
      throw new CommandError(
        'CannotCreateIndex',
        `Expression not supported in partial index: ${key} regex ${String(condition)}`,
      );
    }
    if (!isDocument(condition)) continue;
    const operators = Object.keys(condition).filter((name) => name.startsWith('$'));
    for (const operator of operators) {
      if (!PARTIAL_OPERATORS.has(operator)) {
        throw new CommandError(
          'CannotCreateIndex',
          `Expression not supported in partial index: ${key} ${operator} ${describe(condition[operator])}`,
        );
      }
    }
  }
}

export function checkIndexSpec(spec: Document): void {
  for (const option of Object.keys(spec)) {
    if (!INDEX_OPTIONS.has(option)) {
      throw new CommandError(
        'InvalidIndexSpecificationOption',
        `The field '${option}' is not valid for an index specification. Specification: ${describe(spec)}`,
      );
    }
  }
  const key = spec['key'];
  if (isDocument(key)) {
    for (const direction of Object.values(key)) {
      if (typeof direction === 'string' && !INDEX_TYPES.has(direction)) {
        throw new CommandError('CannotCreateIndex', `Unknown index plugin '${direction}'`);
      }
    }
  }
  const partial = spec['partialFilterExpression'];
  if (partial !== undefined) {
    if (!isDocument(partial)) {
      throw new CommandError('TypeMismatch', 'partialFilterExpression must be an object');
    }
    if (spec['sparse'] === true) {
      throw new CommandError(
        'CannotCreateIndex',
        'cannot mix "partialFilterExpression" and "sparse" options',
      );
    }
    checkPartialFilter(partial, 0);
  }
}
