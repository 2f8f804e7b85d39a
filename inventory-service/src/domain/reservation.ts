import { mergeLines, type shortage } from '@shop/contracts';
import type { z } from 'zod';

/** One line of an order as inventory sees it: what and how many. */
export interface OrderLine {
  productId: string;
  quantity: number;
}

/** A product's stock as read (and locked) at the moment of deciding. */
export interface StockLevel {
  available: number;
  /** False once the product was deleted from the catalog: it is never reserved again. */
  sellable: boolean;
}

export type Shortage = z.output<typeof shortage>;

export type ReservationDecision =
  | { outcome: 'reserved'; items: OrderLine[] }
  | { outcome: 'rejected'; reason: string; shortages: Shortage[] };

/**
 * An order names a product inventory has no stock row for yet. order-service only accepts orders
 * for products the catalog has, and product events travel through another relay and queue than
 * order events, so a brand-new product's first orders can overtake its PRODUCT_CREATED: the
 * missing row means "not heard of it yet", never "unknown". Thrown, not answered, so the
 * consumer retries the order with growing delays until the product arrives (or dead-letters it
 * after the last attempt, and order-service's pending-order sweeper cancels the order).
 */
export class StockNotYetKnown extends Error {
  constructor(readonly productIds: readonly string[]) {
    super(`No stock is kept yet for product(s) ${productIds.join(', ')}; retry the order later`);
    this.name = 'StockNotYetKnown';
  }
}

export const REJECTED_FOR_SHORTAGE = 'insufficient stock';
export const REJECTED_FOR_CANCEL = 'order cancelled';

/**
 * Merges lines of the same product (`mergeLines`) and sorts them by product id. The sort order is
 * also the order in which stock rows are locked, which is what keeps concurrent reservations
 * deadlock-free.
 */
export function mergeOrderLines(lines: readonly OrderLine[]): OrderLine[] {
  return mergeLines(lines).sort((a, b) =>
    a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0,
  );
}

/**
 * All or nothing: the lines are merged per product (`mergeOrderLines`), then the order is
 * reserved only if every line fits in what is available, otherwise it is rejected with every
 * short line. A product no longer sold counts as a shortage with
 * nothing available. A product with no stock at all throws `StockNotYetKnown`: deciding now
 * would reject for good an order that only came too early.
 */
export function decideReservation(
  lines: readonly OrderLine[],
  stock: ReadonlyMap<string, StockLevel>,
): ReservationDecision {
  const items = mergeOrderLines(lines);
  const notYetKnown: string[] = [];
  const shortages: Shortage[] = [];
  for (const item of items) {
    const level = stock.get(item.productId);
    if (!level) {
      notYetKnown.push(item.productId);
      continue;
    }
    const available = level.sellable ? level.available : 0;
    if (available < item.quantity) {
      shortages.push({ productId: item.productId, requested: item.quantity, available });
    }
  }
  if (notYetKnown.length > 0) throw new StockNotYetKnown(notYetKnown);
  if (shortages.length > 0)
    return { outcome: 'rejected', reason: REJECTED_FOR_SHORTAGE, shortages };
  return { outcome: 'reserved', items };
}
