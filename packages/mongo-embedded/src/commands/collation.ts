import { CommandError } from '../errors';
import { isDocument } from '../documents';

/**
 * Collations change how strings match, sort and collide in unique indexes. None of that is
 * implemented, so anything but the simple (binary) collation is refused rather than ignored.
 */
export function refuseCollation(collation: unknown): void {
  if (collation === undefined || collation === null) return;
  if (isDocument(collation) && collation['locale'] === 'simple') return;
  throw new CommandError(
    'NotImplemented',
    'collation is not supported by mongo-embedded (only { locale: "simple" })',
  );
}
