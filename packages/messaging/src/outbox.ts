import { afterCommit, type Queryable } from '@shop/postgres';
import type { EventCatalog, EventData, EventType } from './catalog';
import { traceCarrierFor } from './causing-trace';
import { createEnvelope, type EnvelopeOptions, type EventEnvelope } from './envelope';

const relaysToWake = new Set<() => void>();

/**
 * Calls `wake` whenever a transaction of this process that wrote outbox rows commits, so its
 * relay publishes them without waiting for a poll; returns the unsubscribe. In-process on
 * purpose, not NOTIFY: a transaction that NOTIFYs takes Postgres's one notification-queue lock
 * at commit and holds it through its WAL flush, so every such commit on the server (every
 * service's, since they share it) waits for the one before: measured, order placement capped at
 * ~50/s with COMMITs waiting on that lock. Rows written by another process are found by that
 * process's own relay, or by any relay's next poll.
 */
export function onOutboxCommit(wake: () => void): () => void {
  relaysToWake.add(wake);
  return () => relaysToWake.delete(wake);
}

function wakeRelays(): void {
  for (const wake of relaysToWake) wake();
}

/** One of `C`'s events to write to the outbox; the data is validated when it is enqueued. */
export type OutgoingEvent<C extends EventCatalog> = {
  [K in EventType<C>]: { type: K; data: EventData<C, K> } & EnvelopeOptions;
}[EventType<C>];

/**
 * Writes an event to the outbox inside the caller's transaction: it is published if and only if
 * the transaction commits. The data is validated now, so a bad event fails the request that made
 * it instead of blocking the relay later. correlationId defaults to the current request id.
 */
export async function enqueueEvent<C extends EventCatalog, K extends EventType<C>>(
  tx: Queryable,
  catalog: C,
  type: K,
  data: EventData<C, K>,
  opts: EnvelopeOptions = {},
): Promise<EventEnvelope<EventData<C, K>>> {
  const [envelope] = await enqueueEvents(tx, catalog, [
    { type, data, ...opts } as OutgoingEvent<C>,
  ]);
  return envelope as EventEnvelope<EventData<C, K>>;
}

/** The outbox INSERT of some events, to run as its own statement or inside a caller's CTE. */
export interface OutboxStatement {
  /** `INSERT INTO outbox ...` reading its rows from `params`, numbered from the caller's first. */
  sql: string;
  params: unknown[];
  envelopes: EventEnvelope[];
}

/**
 * The INSERT that writes `outgoing` to the outbox, its parameters numbered from `firstParam`,
 * so a caller can write its own rows and its events in one statement (one round trip, committed
 * alone) rather than four (BEGIN, its rows, the events, COMMIT). Rows keep the given order,
 * which is the order the relay publishes them in. The data is validated now. After the
 * statement commits, call `outboxWritten` so this process's relay publishes without a poll.
 */
export function outboxInsert<C extends EventCatalog>(
  catalog: C,
  outgoing: readonly OutgoingEvent<C>[],
  firstParam = 1,
): OutboxStatement {
  const envelopes = outgoing.map(({ type, data, ...opts }) =>
    createEnvelope(catalog, type, data as EventData<C, typeof type>, opts),
  );
  const [ids, types, bodies, traces] = [0, 1, 2, 3].map((offset) => `$${firstParam + offset}`);
  return {
    sql: `INSERT INTO outbox (event_id, event_type, envelope, trace_context)
     SELECT event_id, event_type, envelope, trace_context
       FROM unnest(${ids}::text[], ${types}::text[], ${bodies}::jsonb[], ${traces}::jsonb[])
            WITH ORDINALITY AS e(event_id, event_type, envelope, trace_context, position)
      ORDER BY position`,
    params: [
      envelopes.map((envelope) => envelope.eventId),
      envelopes.map((envelope) => envelope.eventType),
      envelopes.map((envelope) => JSON.stringify(envelope)),
      // The relay publishes each row in this trace, so the consumers' spans join it too.
      envelopes.map((envelope) => {
        const carrier = traceCarrierFor(envelope.correlationId);
        return carrier && JSON.stringify(carrier);
      }),
    ],
    envelopes,
  };
}

/**
 * Wakes this process's relays once `tx` has committed (at once outside a transaction), and never
 * for a rollback; the relay then reads everything pending, so one wake per transaction is enough.
 */
export function outboxWritten(tx: Queryable): void {
  afterCommit(tx, wakeRelays);
}

/**
 * `enqueueEvent` for many events: one INSERT however many there are, so a consumer answering a
 * batch of events pays one round trip, not one per answer.
 */
export async function enqueueEvents<C extends EventCatalog>(
  tx: Queryable,
  catalog: C,
  outgoing: readonly OutgoingEvent<C>[],
): Promise<EventEnvelope[]> {
  if (outgoing.length === 0) return [];
  const statement = outboxInsert(catalog, outgoing);
  await tx.query(statement.sql, statement.params);
  outboxWritten(tx);
  return statement.envelopes;
}
