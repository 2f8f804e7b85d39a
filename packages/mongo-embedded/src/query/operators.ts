import {
  Binary,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'bson';
import type { Options } from 'mingo/core';
import { $elemMatch } from 'mingo/operators/query/array';
import { resolve } from 'mingo/util';
import { CommandError } from '../errors';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { compareValues, sameBracket, valuesEqual } from './compare';
import { originalOf } from './views';

/*
 * Query operators mingo gets wrong for BSON values, replaced in the context mql.ts builds:
 * comparisons follow mongod's cross-type number and Decimal128 ordering, $all accepts a
 * scalar field, and $type knows every BSON type and alias (int, long, double are distinct).
 */

type Predicate = (document: Document) => boolean;
type QueryOperator = (selector: string, value: unknown, options: Options) => Predicate;

/** The field's values as mongod sees them: the value, and for an array also its elements. */
function candidates(document: Document, selector: string): unknown[] {
  const value: unknown = resolve(document, selector, { unwrapArray: true });
  if (!Array.isArray(value)) return [value];
  const depth = Math.max(1, selector.split('.').length - 1);
  return [value, ...(value.flat(depth) as unknown[])];
}

function matchesEquality(document: Document, selector: string, expected: unknown): boolean {
  const values = candidates(document, selector);
  if (expected === null) {
    return values.some((value) => value === null || value === undefined);
  }
  return values.some((value) => value !== undefined && valuesEqual(value, expected));
}

function rangeOperator(test: (order: number) => boolean): QueryOperator {
  return (selector, expected) => (document) =>
    candidates(document, selector).some((value) => {
      const present = value === undefined ? null : value;
      return sameBracket(present, expected) && test(compareValues(present, expected));
    });
}

function inList(selector: string, list: unknown): Predicate {
  if (!Array.isArray(list)) throw new CommandError('BadValue', '$in needs an array');
  return (document) =>
    list.some((expected) =>
      expected instanceof RegExp
        ? candidates(document, selector).some(
            (value) => typeof value === 'string' && new RegExp(expected).test(value),
          )
        : matchesEquality(document, selector, expected),
    );
}

const $all: QueryOperator = (selector, list, options) => {
  if (!Array.isArray(list)) throw new CommandError('BadValue', '$all needs an array');
  const tests = list.map((expected): Predicate => {
    if (isDocument(expected) && '$elemMatch' in expected) {
      return $elemMatch(selector, expected['$elemMatch'], options) as Predicate;
    }
    if (expected instanceof RegExp) {
      return (document) =>
        candidates(document, selector).some(
          (value) => typeof value === 'string' && new RegExp(expected).test(value),
        );
    }
    return (document) => matchesEquality(document, selector, expected);
  });
  return (document) => tests.length > 0 && tests.every((test) => test(document));
};

const TYPE_ALIASES: Record<string, number> = {
  double: 1,
  string: 2,
  object: 3,
  array: 4,
  binData: 5,
  undefined: 6,
  objectId: 7,
  bool: 8,
  date: 9,
  null: 10,
  regex: 11,
  dbPointer: 12,
  javascript: 13,
  symbol: 14,
  javascriptWithScope: 15,
  int: 16,
  timestamp: 17,
  long: 18,
  decimal: 19,
  minKey: -1,
  maxKey: 127,
};

/** The BSON type number a held value encodes as. */
function bsonTypeNumber(value: unknown): number {
  if (value === null) return 10;
  if (value === undefined) return 6;
  if (typeof value === 'number')
    return Number.isInteger(value) &&
      value >= -(2 ** 31) &&
      value < 2 ** 31 &&
      !Object.is(value, -0)
      ? 16
      : 1;
  if (value instanceof Double) return 1;
  if (value instanceof Int32) return 16;
  if (value instanceof Long) return 18;
  if (value instanceof Decimal128) return 19;
  if (typeof value === 'string') return 2;
  if (typeof value === 'boolean') return 8;
  if (Array.isArray(value)) return 4;
  if (value instanceof Date) return 9;
  if (value instanceof RegExp) return 11;
  if (value instanceof ObjectId) return 7;
  if (value instanceof Binary || value instanceof Uint8Array) return 5;
  if (value instanceof Timestamp) return 17;
  if (value instanceof Code) return value.scope ? 15 : 13;
  if (value instanceof MinKey) return -1;
  if (value instanceof MaxKey) return 127;
  return 3;
}

function typeMatcher(spec: unknown): (type: number) => boolean {
  if (spec === 'number') return (type) => type === 1 || type === 16 || type === 18 || type === 19;
  if (typeof spec === 'string') {
    const code = TYPE_ALIASES[spec];
    if (code === undefined) throw new CommandError('BadValue', `Unknown type name alias: ${spec}`);
    return (type) => type === code;
  }
  const code = Number(spec instanceof Double || spec instanceof Int32 ? spec.valueOf() : spec);
  if (!Number.isInteger(code) || !Object.values(TYPE_ALIASES).includes(code)) {
    throw new CommandError('BadValue', `Invalid numerical type code: ${String(spec)}`);
  }
  return (type) => type === code;
}

const $type: QueryOperator = (selector, spec) => {
  const specs = Array.isArray(spec) ? spec : [spec];
  if (specs.length === 0) {
    throw new CommandError('FailedToParse', '$type must match at least one type');
  }
  const matchers = specs.map(typeMatcher);
  // The view holds plain numbers; the original it came from still knows their BSON types.
  return (document) => {
    const value: unknown = resolve(originalOf(document), selector, { unwrapArray: true });
    if (value === undefined) return false;
    const values = Array.isArray(value) ? [value, ...(value.flat(1) as unknown[])] : [value];
    return values.some((item) => {
      const type = bsonTypeNumber(item);
      return matchers.some((matches) => matches(type));
    });
  };
};

const DBREF_FIELDS = new Set(['$ref', '$id', '$db']);

/**
 * DBRef fields ($ref, $id, $db) are field names to mongod, also at the top of an $elemMatch
 * ({ members: { $elemMatch: { $id: ... } } }), where mingo reads them as operators. They are
 * renamed, in the condition and in the elements, to names no BSON document can hold (BSON
 * field names cannot contain a NUL byte), so mingo matches them as ordinary fields.
 */
function hideDbRefFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hideDbRefFields);
  if (!isDocument(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      DBREF_FIELDS.has(key) ? `\u0000${key}` : key,
      hideDbRefFields(field),
    ]),
  );
}

const elemMatch: QueryOperator = (selector, criteria, options) => {
  const namesDbRefFields =
    isDocument(criteria) && Object.keys(criteria).some((key) => DBREF_FIELDS.has(key));
  if (!namesDbRefFields) return $elemMatch(selector, criteria, options) as Predicate;
  const test = $elemMatch(selector, hideDbRefFields(criteria), options) as Predicate;
  return (document) => test(hideDbRefFields(document) as Document);
};

export const queryOperators: Record<string, QueryOperator> = {
  $elemMatch: elemMatch,
  $eq: (selector, expected) => (document) => matchesEquality(document, selector, expected),
  $ne: (selector, expected) => (document) => !matchesEquality(document, selector, expected),
  $gt: rangeOperator((order) => order > 0),
  $gte: rangeOperator((order) => order >= 0),
  $lt: rangeOperator((order) => order < 0),
  $lte: rangeOperator((order) => order <= 0),
  $in: (selector, list) => inList(selector, list),
  $nin: (selector, list) => {
    const test = inList(selector, list);
    return (document) => !test(document);
  },
  $all,
  $type,
};
