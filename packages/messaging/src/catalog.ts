import { z } from 'zod';

/** Where one event travels, what its data must be, and whether a service consumes it. */
export interface EventDefinition<S extends z.ZodType = z.ZodType, X extends string = string> {
  exchange: X;
  routingKey: string;
  schema: S;
  /**
   * Some service consumes it: a publish that no queue takes (its consumer has not yet declared
   * its queue, on a first deployment) fails and stays in the outbox, instead of being dropped by
   * the exchange. Events nobody consumes yet are published all the same.
   */
  consumed: boolean;
}

/**
 * The events an application sends over this transport: its exchanges (each a durable topic
 * exchange, namespaced in tests) and, by event type, each event's definition. The transport knows
 * no event of its own; every type below is derived from the catalogue it is given.
 */
export interface EventCatalog {
  exchanges: readonly string[];
  events: Readonly<Record<string, EventDefinition>>;
}

export type EventType<C extends EventCatalog> = keyof C['events'] & string;
export type EventData<C extends EventCatalog, K extends EventType<C>> = z.output<
  C['events'][K]['schema']
>;

export function isEventType<C extends EventCatalog>(
  catalog: C,
  value: string,
): value is EventType<C> {
  return Object.hasOwn(catalog.events, value);
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
export function parseEventData<C extends EventCatalog, K extends EventType<C>>(
  catalog: C,
  type: K,
  data: unknown,
): EventData<C, K> {
  const result = catalog.events[type]!.schema.safeParse(data);
  if (!result.success) throw new InvalidEventError(type, z.prettifyError(result.error));
  return result.data as EventData<C, K>;
}
