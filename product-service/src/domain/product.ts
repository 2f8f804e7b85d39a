import type { newProductBody, product, productChangesBody } from '@shop/contracts';
import type { z } from 'zod';

/** A product as every answer and every other service sees it. Money is integer cents. */
export type Product = z.output<typeof product>;
export type NewProduct = z.output<typeof newProductBody>;
export type ProductChanges = z.output<typeof productChangesBody>;

/** Product ids are MongoDB ObjectIds in hex; anything else cannot exist, so it is a 404. */
export function isProductId(value: string): boolean {
  return /^[0-9a-f]{24}$/i.test(value);
}
