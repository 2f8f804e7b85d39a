/** What a customer asks for: a product and how many. */
export interface RequestedLine {
  productId: string;
  quantity: number;
}

/**
 * Lines naming the same product become one line with the summed quantity, in the order each
 * product first appeared. An order then holds at most one line per product, so inventory reserves
 * and reports shortages per product, and the idempotency fingerprint does not depend on how a
 * client happened to split its lines.
 */
export function mergeOrderLines(lines: readonly RequestedLine[]): RequestedLine[] {
  const merged = new Map<string, number>();
  for (const line of lines) {
    merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
  }
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}
