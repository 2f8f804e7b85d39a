import { calculateObjectSize } from 'bson';
import { CommandError } from '../errors';
import type { Document } from '../documents';

/*
 * A capped collection's limits, as mongod applies them: a size in bytes (raised to at least
 * 4096, and to a multiple of 256) and optionally a document count. Inserting past either
 * removes the oldest documents, in insertion order.
 */

export interface CappedLimits {
  maxBytes: number;
  maxDocuments: number | undefined;
}

/** The limits a collection's options give it, or undefined when it is not capped. */
export function cappedLimits(options: Document): CappedLimits | undefined {
  if (options['capped'] !== true) return undefined;
  const size: unknown = options['size'];
  const max: unknown = options['max'];
  const bytes = typeof size === 'number' ? size : 0;
  return {
    maxBytes: bytes <= 4096 ? 4096 : Math.ceil(bytes / 256) * 256,
    maxDocuments: typeof max === 'number' && max > 0 ? max : undefined,
  };
}

/**
 * The create command's capped options, refused as mongod refuses them. `capped` is one of
 * mongod's "safe" booleans, so a number counts as true when it is not 0; the option is
 * kept as the boolean it means.
 */
export function checkCappedOptions(options: Document): void {
  const capped: unknown = options['capped'];
  if (capped === undefined) return;
  if (typeof capped !== 'boolean' && typeof capped !== 'number') {
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'create.capped' is the wrong type '${typeof capped}', expected types '[bool, long, int, decimal, double]'`,
    );
  }
  options['capped'] = Boolean(capped);
  if (options['capped'] !== true) return;
  const size: unknown = options['size'];
  if (size === undefined) {
    throw new CommandError('InvalidOptions', "the 'size' field is required when 'capped' is true");
  }
  if (typeof size !== 'number' || size <= 0) {
    throw new CommandError(
      'BadValue',
      "the 'size' field of a capped collection must be a positive number",
    );
  }
}

export function documentBytes(document: Document): number {
  return calculateObjectSize(document, { ignoreUndefined: true });
}

/** mongod refuses a single document larger than the whole cap. */
export function checkFitsCap(document: Document, limits: CappedLimits): void {
  if (documentBytes(document) > limits.maxBytes) {
    throw new CommandError('BadValue', 'object to insert exceeds cappedMaxSize');
  }
}
