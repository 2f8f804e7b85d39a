import { eventSchemas } from '@shop/contracts';
import { z } from 'zod';

/** The exchanges the shop publishes to; each is a durable topic exchange (namespaced in tests). */
export const EXCHANGES = ['orders', 'inventory', 'products', 'users'] as const;
export type ExchangeName = (typeof EXCHANGES)[number];

interface EventDefinition<S extends z.ZodType> {
  exchange: ExchangeName;
  routingKey: string;
  schema: S;
  /**
   * Some service consumes it: a publish that no queue takes (its consumer has not yet declared
   * its queue, on a first deployment) fails and stays in the outbox, instead of being dropped by
   * the exchange. Events nobody consumes yet are published all the same.
   */
  consumed: boolean;
}

function defineEvent<S extends z.ZodType>(
  exchange: ExchangeName,
  routingKey: string,
  schema: S,
  consumed: 'consumed' | 'announced',
): EventDefinition<S> {
  return { exchange, routingKey, schema, consumed: consumed === 'consumed' };
}

/**
 * docs/architecture.md, "Events": each event's exchange and routing key, with its schema from the
 * contracts, and whether a service consumes it (the consuming services' tests check their events
 * are marked so).
 */
export const events = {
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
  ORDER_REJECTED: defineEvent('orders', 'order.rejected', eventSchemas.ORDER_REJECTED, 'announced'),
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
};

export type EventType = keyof typeof events;
export type EventData<K extends EventType> = z.output<(typeof events)[K]['schema']>;

export const EVENT_TYPES = Object.keys(events) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(events, value);
}

/** Thrown when data does not match its event's schema: the bug is the caller's, not the broker's. */
export class InvalidEventError extends Error {
  constructor(
    readonly eventType: string,
    readonly issues: string,
  ) {
    super(`Invalid ${eventType} event: ${issues}`);
    this.name = 'InvalidEventError';
  }
}

/** Validates `data` against the event's schema, returning the parsed (typed) data. */
export function parseEventData<K extends EventType>(type: K, data: unknown): EventData<K> {
  const result = events[type].schema.safeParse(data);
  if (!result.success) throw new InvalidEventError(type, z.prettifyError(result.error));
  return result.data as EventData<K>;
}
