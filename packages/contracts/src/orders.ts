import { z } from 'zod';
import { cents, id, pageOf, problemWith, productId, timestamp } from './common';
import { mergeLines, orderRejection } from './events';

export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const orderStatus = z.enum(ORDER_STATUSES);

export const MAX_ORDER_LINES = 100;
/** Per product, after duplicate lines are merged: a typo of 10000 should not reach inventory. */
export const MAX_QUANTITY_PER_PRODUCT = 1000;

export const placeOrderBody = z
  .object({
    items: z
      .array(
        z.object({
          productId,
          quantity: z.number().int().min(1).max(MAX_QUANTITY_PER_PRODUCT),
        }),
      )
      .min(1)
      .max(MAX_ORDER_LINES)
      .describe(
        'Lines naming the same product count as one. Unit prices are taken from the catalog, ' +
          'never from the caller',
      ),
  })
  .refine(
    (body) => mergeLines(body.items).every((line) => line.quantity <= MAX_QUANTITY_PER_PRODUCT),
    {
      message: `At most ${MAX_QUANTITY_PER_PRODUCT} of one product per order, duplicate lines included`,
      path: ['items'],
    },
  );

// Printable ASCII without spaces, like the other header values a client generates (UUIDs, ULIDs).
export const idempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be 1 to 255 printable ASCII characters without spaces')
  .describe(
    'Makes a retry safe, per caller: the same key with the same lines answers 200 with that ' +
      'order and Idempotent-Replayed: true instead of placing a second one; the same key with ' +
      'other lines is a 422',
  );

const MAX_ORDER_PAGE_SIZE = 100;

export const listOrdersQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  // Larger pages are capped rather than refused, so a client asking for "everything" still works.
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .transform((limit) => Math.min(limit, MAX_ORDER_PAGE_SIZE))
    .describe(`Pages larger than ${MAX_ORDER_PAGE_SIZE} are capped to ${MAX_ORDER_PAGE_SIZE}`),
  status: orderStatus.optional(),
});

export const orderLine = z.object({
  productId: id,
  name: z.string().describe('The catalog name when the order was placed'),
  quantity: z.number().int().min(1),
  unitPrice: cents.describe('The catalog price when the order was placed, integer cents'),
  lineTotal: cents,
});

export const order = z
  .object({
    id,
    userId: id,
    status: orderStatus,
    items: z.array(orderLine),
    total: cents,
    rejectionReason: orderRejection
      .optional()
      .describe('Why inventory turned a REJECTED order down'),
    cancellation: z
      .object({
        reason: z.string(),
        by: z
          .enum(['customer', 'admin', 'system'])
          .describe(
            'customer: the owner; admin: an admin, not the owner; system: the pending-order sweeper, when inventory did not answer in time',
          ),
        at: timestamp,
      })
      .optional()
      .describe('Why, by whom and when a CANCELLED order was cancelled'),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Order' });

export const orderPage = pageOf(order).meta({ id: 'OrderPage' });

/** 409 on cancel: the order already reached a state it cannot be cancelled from. */
export const orderNotCancellableProblem = problemWith('OrderNotCancellableProblem', {
  orderStatus: orderStatus.describe('The status the order is in, which cannot move to CANCELLED'),
});

/** 422 on placing an order: the catalog does not know a product, or the order costs too much. */
export const orderRefusedProblem = problemWith('OrderRefusedProblem', {
  unknownProductIds: z.array(id).optional().describe('Products the catalog does not know'),
  productId: id.optional().describe('The product whose line costs too much'),
  maxTotal: cents.optional().describe('The most one line or order may cost'),
});
