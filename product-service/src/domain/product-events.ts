import { randomUUID } from 'node:crypto';
import type { eventSchemas } from '@shop/contracts';
import type { z } from 'zod';

export type ProductCreatedData = z.output<typeof eventSchemas.PRODUCT_CREATED>;
export type ProductDeletedData = z.output<typeof eventSchemas.PRODUCT_DELETED>;

/**
 * An event waiting in the product's own document until the relay has published it. Its id is
 * fixed when the change is written, so a republish after a crash carries the same id and the
 * consumers' inbox drops the duplicate.
 */
export type PendingProductEvent =
  | {
      eventId: string;
      type: 'PRODUCT_CREATED';
      data: ProductCreatedData;
      correlationId: string | null;
    }
  | {
      eventId: string;
      type: 'PRODUCT_DELETED';
      data: ProductDeletedData;
      correlationId: string | null;
    };

export function productCreated(
  data: ProductCreatedData,
  correlationId: string | null,
): PendingProductEvent {
  const payload: ProductCreatedData = { productId: data.productId, sku: data.sku };
  if (data.initialStock !== undefined) payload.initialStock = data.initialStock;
  return { eventId: randomUUID(), type: 'PRODUCT_CREATED', data: payload, correlationId };
}

export function productDeleted(
  data: ProductDeletedData,
  correlationId: string | null,
): PendingProductEvent {
  return {
    eventId: randomUUID(),
    type: 'PRODUCT_DELETED',
    data: { productId: data.productId, sku: data.sku },
    correlationId,
  };
}
