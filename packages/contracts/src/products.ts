import { z } from 'zod';
import { cents, id, pageOf, problemWith, productId, text, timestamp } from './common';

export const MAX_PRICE_CENTS = Number.MAX_SAFE_INTEGER;

const name = text().trim().min(1).max(200);
const description = text({ multiline: true }).trim().max(5000);
const price = z.number().int().min(0).max(MAX_PRICE_CENTS).describe('Integer cents');
// Categories are compared exactly, so they are kept in one spelling: lowercase.
const category = text().trim().min(1).max(100).toLowerCase();
const sku = text()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'Use 1-64 letters, digits, ".", "_" or "-"');

// Strict objects of primitives only: an operator object such as {"price": {"$gt": 0}} or an
// unknown key never reaches MongoDB, it is a 400.
export const newProductBody = z.strictObject({
  name,
  description,
  price,
  category,
  sku,
  initialStock: z.number().int().min(0).max(1_000_000_000).optional(),
});

export const productChangesBody = z
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

export const CATALOG_SORTS = ['price', '-price', 'name', 'newest'] as const;
const DEFAULT_CATALOG_PAGE_SIZE = 20;
const MAX_CATALOG_PAGE_SIZE = 100;
const MAX_CATALOG_PAGE = 10_000;

// Query values arrive as strings; a repeated or bracketed parameter (?q[$ne]=x, ?q=a&q=b) is
// not a string and is refused rather than coerced.
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'Expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Comma-separated ids, at most a page of them: what order-service prices an order with. */
const productIds = z
  .string()
  .transform((ids) => ids.split(','))
  .pipe(z.array(productId).min(1).max(MAX_CATALOG_PAGE_SIZE))
  .transform((ids) => [...new Set(ids)].sort());

export const catalogQuery = z
  .strictObject({
    ids: productIds.optional().describe('Only these products (comma-separated ids, at most 100)'),
    q: text().trim().max(200).optional().describe('Free-text search'),
    category: category.optional(),
    minPrice: wholeNumber(0, MAX_PRICE_CENTS).optional().describe('Integer cents'),
    maxPrice: wholeNumber(0, MAX_PRICE_CENTS).optional().describe('Integer cents'),
    sort: z.enum(CATALOG_SORTS).default('newest'),
    page: wholeNumber(1, MAX_CATALOG_PAGE).default(1),
    // Larger pages are refused (400) rather than silently clamped, so a client never
    // believes it received everything when it did not.
    limit: wholeNumber(1, MAX_CATALOG_PAGE_SIZE).default(DEFAULT_CATALOG_PAGE_SIZE),
  })
  .refine(
    (query) =>
      query.minPrice === undefined ||
      query.maxPrice === undefined ||
      query.minPrice <= query.maxPrice,
    { message: 'minPrice must not exceed maxPrice', path: ['minPrice'] },
  );

/** The path of GET, PATCH and DELETE /products/{id}. */
export const productParams = z.object({ id: productId });

export const product = z
  .object({
    id,
    name: z.string(),
    description: z.string(),
    price: cents,
    category: z.string(),
    sku: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Product' });

export const productPage = pageOf(product).meta({ id: 'ProductPage' });

/** 409 on creating or changing a product: another product has the SKU. */
export const skuTakenProblem = problemWith('SkuTakenProblem', {
  sku: z.string().describe('The SKU that is taken'),
});
