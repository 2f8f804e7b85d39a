import { Long } from 'bson';
import { isDocument } from '../documents';
import type { Document } from '../documents';
import { CommandError } from '../errors';
import type { UpdateSpec } from '../query/update';

/*
 * Typed readers for command fields. A wrongly typed field gets mongod's TypeMismatch reply
 * rather than a JavaScript exception deep inside a handler.
 */

function bsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (value instanceof Date) return 'date';
  if (isDocument(value)) return 'object';
  return typeof value;
}

function wrongType(command: Document, field: string, value: unknown, expected: string) {
  const commandName = Object.keys(command)[0] ?? 'command';
  return new CommandError(
    'TypeMismatch',
    `BSON field '${commandName}.${field}' is the wrong type '${bsonTypeName(value)}', expected type '${expected}'`,
  );
}

export function requiredString(command: Document, field: string): string {
  const value: unknown = command[field];
  if (typeof value !== 'string') throw wrongType(command, field, value, 'string');
  return value;
}

export function optionalDocument(command: Document, field: string): Document | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (!isDocument(value)) throw wrongType(command, field, value, 'object');
  return value;
}

export function optionalArray(command: Document, field: string): unknown[] | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(command, field, value, 'array');
  return value;
}

export function requiredArray(command: Document, field: string): unknown[] {
  const value = optionalArray(command, field);
  if (value === undefined) {
    const commandName = Object.keys(command)[0] ?? 'command';
    throw new CommandError(
      'FailedToParse',
      `BSON field '${commandName}.${field}' is missing but a required field`,
    );
  }
  return value;
}

export function requiredDocuments(command: Document, field: string): Document[] {
  return requiredArray(command, field).map((item) => {
    if (!isDocument(item)) throw wrongType(command, field, item, 'object');
    return item;
  });
}

export function optionalNumber(command: Document, field: string): number | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  throw wrongType(command, field, value, 'number');
}

export function optionalBoolean(command: Document, field: string): boolean | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  // mongod coerces numbers for legacy boolean options such as { multi: 1 }.
  if (typeof value === 'number') return value !== 0;
  throw wrongType(command, field, value, 'bool');
}

/** An update document or pipeline; `where` is the field's path as mongod's reply names it. */
export function updateSpec(spec: unknown, where: string): UpdateSpec {
  if (isDocument(spec)) return spec;
  if (Array.isArray(spec) && spec.every(isDocument)) return spec;
  throw new CommandError('FailedToParse', `BSON field '${where}' must be an object or an array`);
}
