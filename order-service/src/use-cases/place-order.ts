import { shopEvents } from '@shop/contracts';
import { randomUUID } from 'node:crypto';
import { outboxInsert } from '@shop/messaging';
import { withTransaction, type Pool } from '@shop/postgres';
import { UnprocessableError } from '@shop/service-kit';
import type { ProductCatalog } from '../clients/product-catalog';
import { findIdempotencyKey, claimIdempotencyKey } from '../db/idempotency-keys';
import { findOrder, insertOrder, ORDER_EVENTS_FIRST_PARAM } from '../db/orders';
import { orderRequestFingerprint } from '../domain/idempotency';
import type { Order } from '../domain/order';
import type { RequestedLine } from '../domain/order-lines';
import { priceOrderLines, type PricingResult } from '../domain/pricing';
import type { OrderMetrics } from '../metrics';

export interface PlaceOrderDeps {
  pool: Pool;
  catalog: ProductCatalog;
  orderMetrics: OrderMetrics;
}

export interface PlaceOrderRequest {
  userId: string;
  /** Already merged: one line per product. */
  lines: RequestedLine[];
  idempotencyKey?: string;
}

/** `created` is false when an earlier request with the same Idempotency-Key made the order. */
export interface PlacedOrder {
  order: Order;
  created: boolean;
}

/**
 * Saga step 1 (docs/architecture.md, "The order saga"): price every line from the catalog, then
 * insert the order PENDING and ORDER_CREATED into the outbox in one statement (inside one
 * transaction with the Idempotency-Key's claim when there is one). Nothing is written unless
 * every product is known and the catalog answered.
 */
export async function placeOrder(
  deps: PlaceOrderDeps,
  request: PlaceOrderRequest,
): Promise<PlacedOrder> {
  const fingerprint = orderRequestFingerprint(request.lines);
  const { idempotencyKey: key, userId } = request;
  if (key !== undefined) {
    const earlier = await replay(deps, { userId, key, fingerprint });
    if (earlier) return earlier;
  }

  const catalog = await deps.catalog.findProducts(request.lines.map((line) => line.productId));
  const pricing = priceOrderLines(request.lines, catalog);
  if (!pricing.ok) throw pricingRefused(pricing);

  const orderId = randomUUID();
  const placing = { id: orderId, userId, lines: pricing.lines, total: pricing.total };
  const created = outboxInsert(
    shopEvents,
    [
      {
        type: 'ORDER_CREATED',
        data: {
          orderId,
          userId,
          items: pricing.lines.map(({ productId, quantity, unitPrice }) => ({
            productId,
            quantity,
            unitPrice,
          })),
          total: pricing.total,
        },
      },
    ],
    ORDER_EVENTS_FIRST_PARAM,
  );
  // Without a key, the order and ORDER_CREATED are one statement, committed alone: one round trip.
  const order =
    key === undefined
      ? await insertOrder(deps.pool, placing, created)
      : await withTransaction(deps.pool, async (tx) => {
          // Claiming the key first means a concurrent retry blocks here until this one commits,
          // then finds the key taken and creates nothing: the unique key, not timing, makes it
          // one order.
          const claimed = await claimIdempotencyKey(tx, { userId, key, fingerprint, orderId });
          return claimed ? insertOrder(tx, placing, created) : undefined;
        });
  if (order) {
    deps.orderMetrics.orderCreated();
    return { order, created: true };
  }
  // Only a key claimed by a concurrent request leads here: answer with the order made under it.
  const earlier = key === undefined ? undefined : await replay(deps, { userId, key, fingerprint });
  if (!earlier) throw new Error('An idempotency key was taken but its record cannot be read');
  return earlier;
}

function pricingRefused(refusal: Exclude<PricingResult, { ok: true }>) {
  if (refusal.refusal === 'unknown-products') {
    return UnprocessableError(`Unknown products: ${refusal.unknownProductIds.join(', ')}`, {
      unknownProductIds: refusal.unknownProductIds,
    });
  }
  const what =
    refusal.productId === undefined
      ? 'The order total'
      : `The line for product ${refusal.productId}`;
  return UnprocessableError(`${what} is over the most one order may cost`, {
    ...(refusal.productId === undefined ? {} : { productId: refusal.productId }),
    maxTotal: refusal.maxTotal,
  });
}

async function replay(
  deps: PlaceOrderDeps,
  request: { userId: string; key: string; fingerprint: string },
): Promise<PlacedOrder | undefined> {
  const record = await findIdempotencyKey(deps.pool, request.userId, request.key);
  if (!record) return undefined;
  if (record.fingerprint !== request.fingerprint) {
    throw UnprocessableError(
      'This Idempotency-Key was already used for a different order; use a new key for a new order',
    );
  }
  const order = await findOrder(deps.pool, record.orderId);
  if (!order) throw new Error(`Idempotency key points at missing order ${record.orderId}`);
  return { order, created: false };
}
