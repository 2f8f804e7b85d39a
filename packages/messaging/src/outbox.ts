import type { Queryable } from '@shop/postgres';
import type { EventData, EventType } from './catalog';
import { createEnvelope, type EnvelopeOptions, type EventEnvelope } from './envelope';

/** The channel the relay LISTENs on, so a committed event is published without waiting a poll. */
export const OUTBOX_CHANNEL = 'messaging_outbox';

/** One event to write to the outbox; the data is validated when it is enqueued. */
export type OutgoingEvent = {
  [K in EventType]: { type: K; data: EventData<K> } & EnvelopeOptions;
}[EventType];

/**
 * Writes an event to the outbox inside the caller's transaction: it is published if and only if
 * the transaction commits. The data is validated now, so a bad event fails the request that made
 * it instead of blocking the relay later. correlationId defaults to the current request id.
 */
export async function enqueueEvent<K extends EventType>(
  tx: Queryable,
  type: K,
  data: EventData<K>,
  opts: EnvelopeOptions = {},
): Promise<EventEnvelope<EventData<K>>> {
  const [envelope] = await enqueueEvents(tx, [{ type, data, ...opts } as OutgoingEvent]);
  return envelope as EventEnvelope<EventData<K>>;
}

/**
 * `enqueueEvent` for many events: one INSERT and one NOTIFY however many there are, so a consumer
 * answering a batch of events pays two round trips, not two per answer. Rows keep the given order,
 * which is the order the relay publishes them in.
 */
export async function enqueueEvents(
  tx: Queryable,
  outgoing: readonly OutgoingEvent[],
): Promise<EventEnvelope[]> {
  if (outgoing.length === 0) return [];
  const envelopes = outgoing.map(({ type, data, ...opts }) =>
    createEnvelope(type, data as EventData<typeof type>, opts),
  );
  await tx.query(
    `INSERT INTO outbox (event_id, event_type, envelope)
     SELECT event_id, event_type, envelope
       FROM unnest($1::text[], $2::text[], $3::jsonb[]) WITH ORDINALITY
            AS e(event_id, event_type, envelope, position)
      ORDER BY position`,
    [
      envelopes.map((envelope) => envelope.eventId),
      envelopes.map((envelope) => envelope.eventType),
      envelopes.map((envelope) => JSON.stringify(envelope)),
    ],
  );
  // NOTIFY is delivered at commit, and never if the transaction rolls back. One per transaction
  // is enough: the relay reads everything pending when it wakes.
  await tx.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, envelopes[0]!.eventType]);
  return envelopes;
}
