import type { z } from 'zod';
import { eventSchemas } from './events';

/** The exchanges the shop publishes to; each is a durable topic exchange (namespaced in tests). */
export const EXCHANGES = ['orders', 'inventory', 'products', 'users'] as const;
export type ExchangeName = (typeof EXCHANGES)[number];

/**
 * The shop's work queues, each read by one service's consumers (namespaced in tests); beside
 * each, @shop/messaging keeps its `.retry.<n>` and `.dead` queues.
 */
export const QUEUES = {
  /** inventory-service's: order and product events. */
  inventory: 'inventory-order-events',
  /** order-service's: inventory's answers. */
  orders: 'order-inventory-events',
} as const;

function defineEvent<S extends z.ZodType>(
  exchange: ExchangeName,
  routingKey: string,
  schema: S,
  consumed: 'consumed' | 'announced',
) {
  // A consumed event's publish that no queue takes fails and stays in the outbox (see
  // @shop/messaging's EventDefinition); an announced one is published all the same.
  return { exchange, routingKey, schema, consumed: consumed === 'consumed' };
}

/**
 * docs/architecture.md, "Events": the shop's event catalogue, which @shop/messaging is given:
 * each event's exchange and routing key, its schema, and whether a service consumes it (the
 * consuming services' tests check their events are marked so).
 */
export const shopEvents = {
  exchanges: EXCHANGES,
  events: {
    ORDER_CREATED: defineEvent('orders', 'order.created', eventSchemas.ORDER_CREATED, 'consumed'),
    ORDER_CANCELLED: defineEvent(
      'orders',
      'order.cancelled',
      eventSchemas.ORDER_CANCELLED,
      'consumed',
    ),
    ORDER_CONFIRMED: defineEvent(
      'orders',
      'order.confirmed',
      eventSchemas.ORDER_CONFIRMED,
      'announced',
    ),
    ORDER_REJECTED: defineEvent(
      'orders',
      'order.rejected',
      eventSchemas.ORDER_REJECTED,
      'announced',
    ),
    INVENTORY_RESERVED: defineEvent(
      'inventory',
      'inventory.reserved',
      eventSchemas.INVENTORY_RESERVED,
      'consumed',
    ),
    INVENTORY_REJECTED: defineEvent(
      'inventory',
      'inventory.rejected',
      eventSchemas.INVENTORY_REJECTED,
      'consumed',
    ),
    INVENTORY_RELEASED: defineEvent(
      'inventory',
      'inventory.released',
      eventSchemas.INVENTORY_RELEASED,
      'consumed',
    ),
    PRODUCT_CREATED: defineEvent(
      'products',
      'product.created',
      eventSchemas.PRODUCT_CREATED,
      'consumed',
    ),
    PRODUCT_DELETED: defineEvent(
      'products',
      'product.deleted',
      eventSchemas.PRODUCT_DELETED,
      'consumed',
    ),
    USER_REGISTERED: defineEvent(
      'users',
      'user.registered',
      eventSchemas.USER_REGISTERED,
      'announced',
    ),
  },
};

export type ShopEvents = typeof shopEvents;
export type ShopEventType = keyof ShopEvents['events'];
/** An event's data as its schema parses it. */
export type ShopEventData<K extends ShopEventType> = z.output<ShopEvents['events'][K]['schema']>;
