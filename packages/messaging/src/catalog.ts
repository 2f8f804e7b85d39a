import { z } from 'zod';

/** The exchanges the shop publishes to; each is a durable topic exchange (namespaced in tests). */
export const EXCHANGES = ['orders', 'inventory', 'products', 'users'] as const;
export type ExchangeName = (typeof EXCHANGES)[number];

interface EventDefinition<S extends z.ZodType> {
  exchange: ExchangeName;
  routingKey: string;
  schema: S;
}

function defineEvent<S extends z.ZodType>(
  exchange: ExchangeName,
  routingKey: string,
  schema: S,
): EventDefinition<S> {
  return { exchange, routingKey, schema };
}

const id = z.string().min(1);
/** Money is integer cents, never a float. */
const cents = z.number().int().nonnegative();
const quantity = z.number().int().positive();

const orderOutcome = z.object({ orderId: id, userId: id, reason: z.string().optional() });

/** docs/architecture.md, "Events": one schema per event type, with the exchange and routing key it travels on. */
export const events = {
  ORDER_CREATED: defineEvent(
    'orders',
    'order.created',
    z.object({
      orderId: id,
      userId: id,
      items: z.array(z.object({ productId: id, quantity, unitPrice: cents })).min(1),
      total: cents,
    }),
  ),
  ORDER_CANCELLED: defineEvent('orders', 'order.cancelled', z.object({ orderId: id, userId: id })),
  ORDER_CONFIRMED: defineEvent('orders', 'order.confirmed', orderOutcome),
  ORDER_REJECTED: defineEvent('orders', 'order.rejected', orderOutcome),
  INVENTORY_RESERVED: defineEvent(
    'inventory',
    'inventory.reserved',
    z.object({ orderId: id, items: z.array(z.object({ productId: id, quantity })).min(1) }),
  ),
  INVENTORY_REJECTED: defineEvent(
    'inventory',
    'inventory.rejected',
    z.object({
      orderId: id,
      reason: z.string().min(1),
      shortages: z.array(
        z.object({
          productId: id,
          requested: z.number().int().nonnegative(),
          available: z.number().int().nonnegative(),
        }),
      ),
    }),
  ),
  INVENTORY_RELEASED: defineEvent('inventory', 'inventory.released', z.object({ orderId: id })),
  PRODUCT_CREATED: defineEvent(
    'products',
    'product.created',
    z.object({
      productId: id,
      sku: z.string().min(1),
      initialStock: z.number().int().nonnegative().optional(),
    }),
  ),
  PRODUCT_DELETED: defineEvent(
    'products',
    'product.deleted',
    z.object({ productId: id, sku: z.string().min(1) }),
  ),
  USER_REGISTERED: defineEvent(
    'users',
    'user.registered',
    z.object({ userId: id, email: z.email() }),
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
