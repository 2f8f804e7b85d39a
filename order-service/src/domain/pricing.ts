import type { RequestedLine } from './order-lines';

/** What the catalog says about a product at the moment the order is placed. */
export interface CatalogProduct {
  id: string;
  name: string;
  /** Integer cents. */
  price: number;
}

export interface PricedLine {
  productId: string;
  /** Snapshot of the catalog name, so a later rename does not rewrite past orders. */
  name: string;
  quantity: number;
  /** Integer cents, snapshot of the catalog price. */
  unitPrice: number;
  lineTotal: number;
}

export type PricingResult =
  { ok: true; lines: PricedLine[]; total: number } | { ok: false; unknownProductIds: string[] };

/**
 * Prices each line at the catalog's current price. Money stays in integer cents throughout, so the
 * total is exact. Any line whose product the catalog does not know makes the whole order unpriced.
 */
export function priceOrderLines(
  lines: readonly RequestedLine[],
  catalog: ReadonlyMap<string, CatalogProduct>,
): PricingResult {
  const unknownProductIds = lines
    .filter((line) => !catalog.has(line.productId))
    .map((line) => line.productId);
  if (unknownProductIds.length > 0) return { ok: false, unknownProductIds };
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
  return { ok: true, lines: priced, total: priced.reduce((sum, line) => sum + line.lineTotal, 0) };
}
