import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { currentRequestId } from '@shop/service-kit';
import { parseEventData, type EventCatalog, type EventData, type EventType } from './catalog';

/** docs/architecture.md, "Events": what travels on the wire, as JSON. */
export interface EventEnvelope<T = unknown> {
  eventId: string;
  eventType: string;
  timestamp: string;
  correlationId: string | null;
  data: T;
}

export interface EnvelopeOptions {
  correlationId?: string;
  eventId?: string;
}

/** Validates the data, then wraps it; the correlation id defaults to the current request's id. */
export function createEnvelope<C extends EventCatalog, K extends EventType<C>>(
  catalog: C,
  type: K,
  data: EventData<C, K>,
  options: EnvelopeOptions = {},
): EventEnvelope<EventData<C, K>> {
  return {
    eventId: options.eventId ?? randomUUID(),
    eventType: type,
    timestamp: new Date().toISOString(),
    correlationId: options.correlationId ?? currentRequestId() ?? null,
    data: parseEventData(catalog, type, data),
  };
}

/** The shape of any incoming envelope, before its data is checked against its event's schema. */
export const envelopeSchema = z.object({
  eventId: z.string().min(1),
  eventType: z.string().min(1),
  timestamp: z.string().min(1),
  correlationId: z.string().nullable().default(null),
  data: z.unknown(),
});
