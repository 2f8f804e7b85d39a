import { EJSON } from 'bson';
import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { numericType } from '../bson/numbers';
import { valueAtPath } from './paths';

/*
 * What mongod refuses in an operator update before changing anything, with its codes:
 * two operators on one path (40), new $-prefixed (52) or empty (56) field names, arithmetic on a
 * non-number (14), and array operators on a field that is not an array (2).
 */

const ARITHMETIC = new Set(['$inc', '$mul']);
const ARRAY_OPERATORS = new Set(['$push', '$addToSet', '$pop', '$pull', '$pullAll']);

function typeName(value: unknown): string {
  const numeric = numericType(value);
  if (numeric !== undefined) return numeric;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof Date) return 'date';
  return 'object';
}

/** Paths without a `$[...]` or `$` segment are checked; others resolve per element. */
function isPlainPath(path: string): boolean {
  return !path.split('.').some((segment) => segment.startsWith('$'));
}

export function checkConflicts(spec: Document): void {
  const paths: string[] = [];
  for (const [operator, fields] of Object.entries(spec)) {
    if (!isDocument(fields)) continue;
    for (const path of Object.keys(fields)) {
      if (path === '' || path.split('.').some((segment) => segment === '')) {
        throw new CommandError(
          'EmptyFieldName',
          `The update path '${path}' contains an empty field name, which is not allowed.`,
        );
      }
      const targets = operator === '$rename' ? [path, String(fields[path])] : [path];
      for (const target of targets) {
        const clash = paths.find(
          (other) =>
            other === target || other.startsWith(`${target}.`) || target.startsWith(`${other}.`),
        );
        if (clash !== undefined) {
          throw new CommandError(
            'ConflictingUpdateOperators',
            `Updating the path '${target}' would create a conflict at '${clash.length < target.length ? clash : target}'`,
          );
        }
        paths.push(target);
      }
    }
  }
}

/** Operators that create the path they name when it is missing. */
const CREATING = new Set([
  '$set',
  '$setOnInsert',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$currentDate',
  '$push',
  '$addToSet',
]);

/**
 * mongod refuses to create a field inside an array (by name, not index) or inside a scalar:
 * 28 PathNotViable, e.g. { $set: { 'comments.body': 1 } } where comments is an array.
 */
function checkPathViable(current: Document, path: string): void {
  const segments = path.split('.');
  let node: unknown = current;
  for (const [i, segment] of segments.entries()) {
    if (node === undefined || node === null) return;
    const isIndex = /^\d+$/.test(segment);
    if (Array.isArray(node) && isIndex) {
      node = node[Number(segment)];
      continue;
    }
    if (isDocument(node)) {
      node = node[segment];
      continue;
    }
    const parent = segments.slice(0, i).join('.');
    throw new CommandError(
      'PathNotViable',
      `Cannot create field '${segment}' in element {${parent}: ${EJSON.stringify(node, { relaxed: true })}}`,
    );
  }
}

export function checkOperandTypes(
  current: Document,
  operator: string,
  fields: Document,
  inserting: boolean,
): void {
  for (const [path, operand] of Object.entries(fields)) {
    const top = path.split('.')[0] ?? path;
    // An upsert's insert may create a $-prefixed field; an update of a stored document may not.
    if (!inserting && top.startsWith('$') && !(top in current)) {
      throw new CommandError(
        'DollarPrefixedFieldName',
        `The dollar ($) prefixed field '${top}' in '${path}' is not valid for storage.`,
      );
    }
    if (!isPlainPath(path)) continue;
    if (CREATING.has(operator)) checkPathViable(current, path);
    const existing = valueAtPath(current, path);
    if (ARITHMETIC.has(operator)) {
      const verb = operator === '$inc' ? 'increment' : 'multiply';
      if (numericType(operand) === undefined) {
        throw new CommandError(
          'TypeMismatch',
          `Cannot ${verb} with non-numeric argument: {${path}: ${JSON.stringify(operand)}}`,
        );
      }
      if (existing !== undefined && numericType(existing) === undefined) {
        throw new CommandError(
          'TypeMismatch',
          `Cannot apply ${operator} to a value of non-numeric type. {_id: ${JSON.stringify(current['_id'])}} has the field '${path.split('.').pop() ?? path}' of non-numeric type ${typeName(existing)}`,
        );
      }
    }
    if (ARRAY_OPERATORS.has(operator) && existing !== undefined && !Array.isArray(existing)) {
      const message =
        operator === '$pull' || operator === '$pullAll'
          ? `Cannot apply ${operator} to a non-array value`
          : `The field '${path}' must be an array but is of type ${typeName(existing)} in document {_id: ${JSON.stringify(current['_id'])}}`;
      throw new CommandError('BadValue', message);
    }
  }
}
