import { calculateObjectSize } from 'bson';
import { CommandError } from '../errors';
import type { Document } from '../documents';
import { MAX_BSON_OBJECT_SIZE } from '../wire/opcodes';

/**
 * What mongod refuses to store, with its codes; checked before anything changes. Since 5.0
 * mongod accepts $-prefixed field names in inserted documents, so they are not refused here.
 */
export function checkStorable(document: Document, operation: 'insert' | 'update'): void {
  const size = calculateObjectSize(document, { ignoreUndefined: true });
  if (size > MAX_BSON_OBJECT_SIZE) {
    throw operation === 'insert'
      ? new CommandError(
          'BSONObjectTooLarge',
          `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_OBJECT_SIZE}`,
        )
      : new CommandError(
          'Location17419',
          `Resulting document after update is larger than ${MAX_BSON_OBJECT_SIZE}`,
        );
  }
  if (Array.isArray(document['_id'])) {
    throw new CommandError('BadValue', "can't use an array for _id");
  }
}
