import { z } from 'zod';

/** A product as every answer and every other service sees it. Money is integer cents. */
export interface Product {
  id: string;
  name: string;
  description: string;
  price: number;
  category: string;
  sku: string;
  createdAt: string;
  updatedAt: string;
}

export const MAX_PRICE_CENTS = Number.MAX_SAFE_INTEGER;

const name = z.string().trim().min(1).max(200);
const description = z.string().trim().max(5000);
const price = z.number().int().min(0).max(MAX_PRICE_CENTS);
// Categories are compared exactly, so they are kept in one spelling: lowercase.
const category = z.string().trim().min(1).max(100).toLowerCase();
const sku = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'Use 1-64 letters, digits, ".", "_" or "-"');

// Strict objects of primitives only: an operator object such as {"price": {"$gt": 0}} or an
// unknown key never reaches MongoDB, it is a 400.
export const newProductSchema = z.strictObject({
  name,
  description,
  price,
  category,
  sku,
  initialStock: z.number().int().min(0).max(1_000_000_000).optional(),
});
export type NewProduct = z.output<typeof newProductSchema>;

export const productChangesSchema = z
  .strictObject({
    name: name.optional(),
    description: description.optional(),
    price: price.optional(),
    category: category.optional(),
    sku: sku.optional(),
  })
  .refine((changes) => Object.values(changes).some((value) => value !== undefined), {
    message: 'Name at least one field to change',
  });
export type ProductChanges = z.output<typeof productChangesSchema>;

/** Product ids are MongoDB ObjectIds in hex; anything else cannot exist, so it is a 404. */
export function isProductId(value: string): boolean {
  return /^[0-9a-f]{24}$/i.test(value);
}
