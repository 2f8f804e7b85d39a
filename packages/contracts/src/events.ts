import { z } from 'zod';
import { cents, id } from './common';

const quantity = z.number().int().positive();

/** One product an order wanted more of than inventory had. */
export const shortage = z.object({
  productId: id,
  requested: z.number().int().nonnegative(),
  available: z.number().int().nonnegative(),
});

/** Why inventory turned an order down: INVENTORY_REJECTED's words, kept on the REJECTED order. */
export const orderRejection = z.object({
  reason: z.string().min(1),
  shortages: z.array(shortage),
});

const orderOutcome = z.object({ orderId: id, userId: id, reason: z.string().optional() });

/**
 * The data of every event, one schema each (the envelope around it is @shop/messaging's). Which
 * exchange and routing key each travels on is in the shop's event catalogue (event-catalog.ts).
 */
export const eventSchemas = {
  ORDER_CREATED: z.object({
    orderId: id,
    userId: id,
    items: z.array(z.object({ productId: id, quantity, unitPrice: cents })).min(1),
    total: cents,
  }),
  ORDER_CANCELLED: z.object({ orderId: id, userId: id }),
  ORDER_CONFIRMED: orderOutcome,
  ORDER_REJECTED: orderOutcome,
  INVENTORY_RESERVED: z.object({
    orderId: id,
    items: z.array(z.object({ productId: id, quantity })).min(1),
  }),
  INVENTORY_REJECTED: orderRejection.extend({ orderId: id }),
  INVENTORY_RELEASED: z.object({ orderId: id }),
  PRODUCT_CREATED: z.object({
    productId: id,
    sku: z.string().min(1),
    initialStock: z.number().int().nonnegative().optional(),
  }),
  PRODUCT_DELETED: z.object({ productId: id, sku: z.string().min(1) }),
  USER_REGISTERED: z.object({ userId: id, email: z.email() }),
};

/**
 * Lines naming the same product become one line with the summed quantity, in the order each
 * product first appeared: the one way an order's lines are merged, by the order body's limits,
 * order-service and inventory-service alike.
 */
export function mergeLines<L extends { productId: string; quantity: number }>(
  lines: readonly L[],
): { productId: string; quantity: number }[] {
  const merged = new Map<string, number>();
  for (const line of lines) {
    merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
  }
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}
