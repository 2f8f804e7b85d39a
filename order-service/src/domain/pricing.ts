import type { orderLine } from '@shop/contracts';
import type { z } from 'zod';
import type { RequestedLine } from './order-lines';

/** What the catalog says about a product at the moment the order is placed. */
export interface CatalogProduct {
  id: string;
  name: string;
  /** Integer cents. */
  price: number;
}

/**
 * A line as the order keeps it: snapshots of the catalog's name and price (integer cents), so a
 * later rename or price change does not rewrite past orders.
 */
export type PricedLine = z.output<typeof orderLine>;

/**
 * The most one line, and one whole order, may cost: one billion currency units, in cents. Far above
 * any real basket, and far enough below 2^53 that a sum of 100 lines at the limit is still an exact
 * integer, so a catalog price near Number.MAX_SAFE_INTEGER times a quantity is refused here as a
 * business rule instead of failing later as an unsafe number in the outbox or the database.
 */
export const MAX_ORDER_TOTAL_CENTS = 100_000_000_000;

export type PricingResult =
  | { ok: true; lines: PricedLine[]; total: number }
  | { ok: false; refusal: 'unknown-products'; unknownProductIds: string[] }
  /** `productId` names the line over the limit; absent when only the order's total is. */
  | { ok: false; refusal: 'over-limit'; productId?: string; maxTotal: number };

/**
 * Prices each line at the catalog's current price. Money stays in integer cents throughout, so the
 * total is exact. Any line whose product the catalog does not know makes the whole order unpriced,
 * and so does a line or a total over MAX_ORDER_TOTAL_CENTS.
 */
export function priceOrderLines(
  lines: readonly RequestedLine[],
  catalog: ReadonlyMap<string, CatalogProduct>,
): PricingResult {
  const unknownProductIds = lines
    .filter((line) => !catalog.has(line.productId))
    .map((line) => line.productId);
  if (unknownProductIds.length > 0) {
    return { ok: false, refusal: 'unknown-products', unknownProductIds };
  }
  const priced = lines.map((line) => {
    const product = catalog.get(line.productId)!;
    return {
      productId: line.productId,
      name: product.name,
      quantity: line.quantity,
      unitPrice: product.price,
      lineTotal: product.price * line.quantity,
    };
  });
  const overLimit = priced.find((line) => line.lineTotal > MAX_ORDER_TOTAL_CENTS);
  if (overLimit) {
    return {
      ok: false,
      refusal: 'over-limit',
      productId: overLimit.productId,
      maxTotal: MAX_ORDER_TOTAL_CENTS,
    };
  }
  const total = priced.reduce((sum, line) => sum + line.lineTotal, 0);
  if (total > MAX_ORDER_TOTAL_CENTS) {
    return { ok: false, refusal: 'over-limit', maxTotal: MAX_ORDER_TOTAL_CENTS };
  }
  return { ok: true, lines: priced, total };
}
