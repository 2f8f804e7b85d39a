import { z } from 'zod';
import { id, pageOf } from './common';

export const stockParams = z.object({ productId: z.string().min(1).max(128) });

export const restockBody = z.object({
  // An int4 column: a larger count is a typo, not a warehouse.
  available: z.number().int().min(0).max(1_000_000_000),
});

export const stockPageQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const stockLevel = z.object({
  productId: id,
  available: z.number().int().min(0),
  reserved: z.number().int().min(0),
  deleted: z.boolean().describe('True once the product left the catalog; it is never sold again'),
});

export const stockPage = pageOf(stockLevel);
