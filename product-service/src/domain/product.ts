import {
  productId,
  type newProductBody,
  type product,
  type productChangesBody,
} from '@shop/contracts';
import type { z } from 'zod';

/** A product as every answer and every other service sees it. Money is integer cents. */
export type Product = z.output<typeof product>;
export type NewProduct = z.output<typeof newProductBody>;
export type ProductChanges = z.output<typeof productChangesBody>;

/** Product ids are MongoDB ObjectIds in lower-case hex, the one spelling every service uses. */
export function isProductId(value: string): boolean {
  return productId.safeParse(value).success;
}
