import type { Queryable } from '@shop/postgres';
import type { EventData, EventType } from './catalog';
import { createEnvelope, type EventEnvelope } from './envelope';

/** The channel the relay LISTENs on, so a committed event is published without waiting a poll. */
export const OUTBOX_CHANNEL = 'messaging_outbox';

/**
 * Writes an event to the outbox inside the caller's transaction: it is published if and only if
 * the transaction commits. The data is validated now, so a bad event fails the request that made
 * it instead of blocking the relay later. correlationId defaults to the current request id.
 */
export async function enqueueEvent<K extends EventType>(
  tx: Queryable,
  type: K,
  data: EventData<K>,
  opts: { correlationId?: string; eventId?: string } = {},
): Promise<EventEnvelope<EventData<K>>> {
  const envelope = createEnvelope(type, data, opts);
  await tx.query('INSERT INTO outbox (event_id, event_type, envelope) VALUES ($1, $2, $3)', [
    envelope.eventId,
    envelope.eventType,
    JSON.stringify(envelope),
  ]);
  // NOTIFY is delivered at commit, and never if the transaction rolls back.
  await tx.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, envelope.eventType]);
  return envelope;
}
