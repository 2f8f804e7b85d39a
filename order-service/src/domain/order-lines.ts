import { mergeLines } from '@shop/contracts';

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
export const mergeOrderLines: (lines: readonly RequestedLine[]) => RequestedLine[] = mergeLines;
