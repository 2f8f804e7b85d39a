import type { ConsumeMessage, MessageProperties, Options } from 'amqplib';
import { z } from 'zod';
import { isEventType, type EventCatalog } from './catalog';
import { envelopeSchema, type EventEnvelope } from './envelope';

/** Headers we write on messages we move to a retry or dead queue. */
export const RETRY_HEADERS = {
  /** Failed handler runs so far. */
  attempts: 'x-attempts',
  deathReason: 'x-death-reason',
  lastError: 'x-last-error',
  originalQueue: 'x-original-queue',
} as const;

const MAX_ERROR_TEXT = 1000;

export type ParsedDelivery =
  | { valid: true; envelope: EventEnvelope; type: string }
  | { valid: false; reason: string; type: string };

/** Reads a delivery as an envelope of one of `subscribed`, its data checked against its schema. */
export function parseDelivery(
  message: ConsumeMessage,
  catalog: EventCatalog,
  subscribed: ReadonlySet<string>,
): ParsedDelivery {
  let body: unknown;
  try {
    body = JSON.parse(message.content.toString('utf8'));
  } catch {
    return { valid: false, reason: 'body is not JSON', type: 'unknown' };
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success)
    return {
      valid: false,
      reason: `bad envelope: ${z.prettifyError(envelope.error)}`,
      type: 'unknown',
    };
  const { eventType } = envelope.data;
  if (!isEventType(catalog, eventType) || !subscribed.has(eventType))
    return { valid: false, reason: `no handler for event type ${eventType}`, type: 'unknown' };
  const data = catalog.events[eventType]!.schema.safeParse(envelope.data.data);
  if (!data.success)
    return {
      valid: false,
      reason: `invalid data: ${z.prettifyError(data.error)}`,
      type: eventType,
    };
  return { valid: true, envelope: { ...envelope.data, data: data.data }, type: eventType };
}

export function attemptsSoFar(message: ConsumeMessage): number {
  const value = Number(message.properties.headers?.[RETRY_HEADERS.attempts] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/** RabbitMQ's own x-death history grows with each pass through a retry queue; ours is enough. */
export function withoutBrokerHeaders(headers: Record<string, unknown> | undefined) {
  const {
    'x-death': _death,
    'x-first-death-exchange': _e,
    'x-first-death-queue': _q,
    'x-first-death-reason': _r,
    'x-delivery-count': _count,
    ...rest
  } = headers ?? {};
  return rest;
}

/**
 * How a message moved to another queue is published again: persistent, with its own id, type,
 * correlation and timestamp, and the given headers in place of the broker's.
 */
export function republishedProperties(
  properties: MessageProperties,
  headers: Record<string, unknown>,
): Options.Publish {
  return {
    persistent: true,
    contentType: properties.contentType as string | undefined,
    messageId: properties.messageId as string | undefined,
    correlationId: properties.correlationId as string | undefined,
    type: properties.type as string | undefined,
    timestamp: properties.timestamp as number | undefined,
    headers,
  };
}

export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_TEXT);
}
