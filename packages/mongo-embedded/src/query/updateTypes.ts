import { isDocument } from '../documents';
import type { Document } from '../documents';
import { fitsInt32, numericType, numericValue, typedNumber } from '../bson/numbers';
import type { NumericType } from '../bson/numbers';
import { replaceAtPath, valueAtPath } from './paths';
import { retypeLike } from './retype';

/*
 * mingo applies update operators to plain numbers; this puts mongod's BSON number types back
 * on the result. Untouched fields keep their types, values an operator writes take the
 * operand's type, and $inc/$mul follow mongod's promotion: the wider of the two types
 * (int < long < double < decimal), an int32 that overflows becoming a long.
 */

const WIDTH: Record<NumericType, number> = { int: 0, long: 1, double: 2, decimal: 3 };
const WRITES_OPERAND = new Set(['$set', '$setOnInsert', '$min', '$max']);

function promoted(result: number, existing: unknown, operand: unknown): unknown {
  const a = numericType(existing) ?? 'int';
  const b = numericType(operand) ?? 'int';
  let type = WIDTH[a] >= WIDTH[b] ? a : b;
  if (type === 'int' && !fitsInt32(result)) type = 'long';
  return typedNumber(result, type);
}

export function retypeUpdated(
  plainResult: Document,
  current: Document,
  operations: Array<[string, Document]>,
): Document {
  const typed = retypeLike(plainResult, current) as Document;
  for (const [operator, fields] of operations) {
    for (const [path, operand] of Object.entries(fields)) {
      if (path.split('.').some((segment) => segment.startsWith('$'))) continue;
      const value = valueAtPath(plainResult, path);
      if (value === undefined) continue;
      if (operator === '$inc' || operator === '$mul') {
        if (typeof value === 'number') {
          replaceAtPath(typed, path, promoted(value, valueAtPath(current, path), operand));
        }
      } else if (WRITES_OPERAND.has(operator)) {
        const written =
          operator === '$set' ||
          operator === '$setOnInsert' ||
          numericValue(operand) === numericValue(value);
        if (written) replaceAtPath(typed, path, retypeLike(value, operand));
      } else if (operator === '$push' || operator === '$addToSet') {
        retypeAppended(typed, current, path, operand);
      }
    }
  }
  return typed;
}

/**
 * The elements an operator appended are the array's tail; each takes the type of the operand
 * value it equals. With $sort or $position the order is not known, and plain numbers stay.
 */
function retypeAppended(typed: Document, current: Document, path: string, operand: unknown): void {
  const array = valueAtPath(typed, path);
  if (!Array.isArray(array)) return;
  const modifiers = isDocument(operand) && Array.isArray(operand['$each']);
  if (modifiers && ('$sort' in operand || '$position' in operand)) return;
  const added: unknown[] = modifiers ? (operand['$each'] as unknown[]) : [operand];
  const before = valueAtPath(current, path);
  const start = Array.isArray(before) ? before.length : 0;
  for (let i = start; i < array.length; i++) {
    const element: unknown = array[i];
    const source = added.find((candidate) => sameValue(candidate, element));
    if (source !== undefined) array[i] = retypeLike(element, source);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  const x = numericValue(a);
  return x !== undefined ? x === numericValue(b) : isDocument(a) && isDocument(b);
}
