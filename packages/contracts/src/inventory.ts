import { z } from 'zod';
import { id, pageOf, productId, timestamp } from './common';

export const stockParams = z.object({ productId });

export const restockBody = z.object({
  // An int4 column: a larger count is a typo, not a warehouse.
  available: z.number().int().min(0).max(1_000_000_000),
});

export const stockPageQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const stockLevel = z
  .object({
    productId: id,
    available: z.number().int().min(0),
    reserved: z.number().int().min(0),
    deleted: z.boolean().describe('True once the product left the catalog; it is never sold again'),
  })
  .meta({ id: 'StockLevel' });

export const stockPage = pageOf(stockLevel).meta({ id: 'StockPage' });

/** Why stock moved; every movement is one ledger entry, so stock can be audited. */
export const LEDGER_REASONS = [
  'initial',
  'restock',
  'reserve',
  'release',
  'product_deleted',
] as const;

export const ledgerEntry = z
  .object({
    id: z.number().int(),
    productId: id,
    deltaAvailable: z.number().int(),
    deltaReserved: z.number().int(),
    reason: z.enum(LEDGER_REASONS),
    orderId: id.nullable().describe('The order that moved it, for reserve and release'),
    actorId: id.nullable().describe('The admin who moved it, for restock'),
    at: timestamp,
  })
  .meta({ id: 'LedgerEntry' });

export const ledgerPage = pageOf(ledgerEntry).meta({ id: 'LedgerPage' });
