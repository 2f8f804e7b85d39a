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

export interface Shortage {
  productId: string;
  requested: number;
  available: number;
}

export type ReservationDecision =
  | { outcome: 'reserved'; items: OrderLine[] }
  | { outcome: 'rejected'; reason: string; shortages: Shortage[] };

export const REJECTED_FOR_SHORTAGE = 'insufficient stock';
export const REJECTED_FOR_CANCEL = 'order cancelled';

/**
 * Merges lines of the same product and sorts them by product id. The sort order is also the
 * order in which stock rows are locked, which is what keeps concurrent reservations deadlock-free.
 */
export function mergeOrderLines(lines: readonly OrderLine[]): OrderLine[] {
  const totals = new Map<string, number>();
  for (const line of lines) {
    totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  }
  return [...totals]
    .map(([productId, quantity]) => ({ productId, quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

/**
 * All or nothing: the order is reserved only if every line fits in what is available, otherwise
 * it is rejected with every short line. A product inventory does not know, or no longer sells,
 * counts as a shortage with nothing available.
 */
export function decideReservation(
  lines: readonly OrderLine[],
  stock: ReadonlyMap<string, StockLevel>,
): ReservationDecision {
  const items = mergeOrderLines(lines);
  const shortages: Shortage[] = [];
  for (const item of items) {
    const level = stock.get(item.productId);
    const available = level?.sellable ? level.available : 0;
    if (available < item.quantity) {
      shortages.push({ productId: item.productId, requested: item.quantity, available });
    }
  }
  if (shortages.length > 0)
    return { outcome: 'rejected', reason: REJECTED_FOR_SHORTAGE, shortages };
  return { outcome: 'reserved', items };
}
