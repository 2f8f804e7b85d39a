import { createHash } from 'node:crypto';
import type { RequestedLine } from './order-lines';

/**
 * The identity of an order request, independent of line order and of how duplicate lines were
 * split: a retry with the same key must ask for the same thing, and this is how we tell.
 */
export function orderRequestFingerprint(mergedLines: readonly RequestedLine[]): string {
  const canonical = [...mergedLines]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((line) => [line.productId, line.quantity]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
