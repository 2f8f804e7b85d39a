import { Binary, Decimal128, Long, ObjectId } from 'bson';
import { isDocument } from '../documents';
import type { Document } from '../documents';

/**
 * Renders a key the way mongod prints it in E11000 messages, e.g. `{ name: "x" }`, so tests
 * and log readers that match on the message see the same text as with mongod.
 */
export function formatKey(keyValue: Document): string {
  const fields = Object.entries(keyValue).map(
    ([field, value]) => `${field}: ${formatValue(value)}`,
  );
  return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof Long) return value.toString();
  if (value instanceof Decimal128) return `NumberDecimal("${value.toString()}")`;
  if (value instanceof Binary)
    return `BinData(${value.sub_type}, ${value.toString('hex').toUpperCase()})`;
  if (value instanceof RegExp) return String(value);
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[ ${value.map(formatValue).join(', ')} ]`;
  }
  if (isDocument(value)) return formatKey(value);
  return String(value);
}
