import type { ShopEvents } from '@shop/contracts';
import { InvalidEventError, type RabbitConnection } from '@shop/messaging';
import {
  promClient,
  startPeriodicTask,
  type Logger,
  type MetricsRegistry,
  type PassOutcome,
} from '@shop/service-kit';
import { forgetPublishedEvent, productsWithPendingEvents } from '../db/products';
import type { ProductModel } from '../db/product-model';

export type ProductEventPublisher = Pick<RabbitConnection<ShopEvents>, 'publish'>;

export interface ProductEventRelay {
  /** Looks for pending events now rather than at the next interval (called after each write). */
  nudge(): void;
  stop(): Promise<void>;
}

/**
 * The outbox relay of the catalog. Events wait inside their product's document (written in the
 * same atomic update as the change); the relay publishes each with its stored id, waits for the
 * broker's confirm, then pulls it from the document. A crash between the two republishes the
 * same event id, which the consumers' inbox ignores: at least once on the wire, once in effect.
 * Several replicas may run relays; they can only duplicate, never lose, an event.
 */
export function startProductEventRelay(options: {
  products: ProductModel;
  publisher: ProductEventPublisher;
  logger: Logger;
  metrics: MetricsRegistry;
  intervalMs?: number;
  batchSize?: number;
}): ProductEventRelay {
  const intervalMs = options.intervalMs ?? 1000;
  const batchSize = options.batchSize ?? 50;
  const { logger } = options;
  const published = new promClient.Counter({
    name: 'product_events_published_total',
    help: 'Product events published by the outbox relay',
    labelNames: ['type'] as const,
    registers: [options.metrics],
  });
  const failures = new promClient.Counter({
    name: 'product_event_publish_failures_total',
    help: 'Relay rounds that stopped because an event could not be published',
    registers: [options.metrics],
  });

  async function publishPending(signal: AbortSignal): Promise<PassOutcome> {
    const batch = await productsWithPendingEvents(options.products, batchSize);
    for (const product of batch) {
      try {
        // In document order: a product's PRODUCT_CREATED always leaves before its PRODUCT_DELETED.
        for (const event of product.pendingEvents) {
          if (signal.aborted) return 'done';
          await options.publisher.publish(event.type, event.data, {
            eventId: event.eventId,
            ...(event.correlationId ? { correlationId: event.correlationId } : {}),
          });
          await forgetPublishedEvent(options.products, product._id, event.eventId);
          published.inc({ type: event.type });
        }
      } catch (error) {
        // An event the catalogue refuses is a bug to fix, not a reason to hold up the others;
        // it stays in its document and is logged each round. Anything else (the broker is away)
        // ends the round.
        if (!(error instanceof InvalidEventError)) throw error;
        failures.inc();
        logger.error({ err: error, productId: product._id.toHexString() }, 'invalid product event');
      }
    }
    // A full batch means more may be waiting behind it.
    return batch.length === batchSize ? 'more' : 'done';
  }

  return startPeriodicTask({
    name: 'product event relay',
    logger,
    everyMs: intervalMs,
    runAtStart: true,
    run: (signal) =>
      publishPending(signal).catch((error: unknown) => {
        failures.inc();
        throw error;
      }),
  });
}
