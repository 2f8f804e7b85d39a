import type { Pool, PoolClient } from '@shop/postgres';
import { runWithRequestContext, withTraceContext, type TraceContext } from '@shop/service-kit';
import type { EventCatalog, EventData, EventType } from './catalog';
import { runWithCausingTraces } from './causing-trace';
import type { EventEnvelope } from './envelope';
import { recordManyInInbox } from './inbox';

export type EventHandler<C extends EventCatalog, K extends EventType<C>> = (
  event: EventEnvelope<EventData<C, K>>,
  tx: PoolClient,
) => Promise<void>;

/**
 * Handles a run of consecutive events of one type in the consumer's transaction, so it can do
 * with one multi-row statement what a per-event handler does with one statement per event. It
 * must be all-or-nothing over the run: throwing rolls the whole batch back, and each event is
 * then handled alone (through this same function, with a run of one).
 */
export type BatchEventHandler<C extends EventCatalog, K extends EventType<C>> = (
  events: EventEnvelope<EventData<C, K>>[],
  tx: PoolClient,
) => Promise<void>;

export type EventHandlers<C extends EventCatalog> = { [K in EventType<C>]?: EventHandler<C, K> };
export type BatchEventHandlers<C extends EventCatalog> = {
  [K in EventType<C>]?: BatchEventHandler<C, K>;
};

/**
 * A consumer's handlers with their event types erased, as the inbox runs them: each is only ever
 * given envelopes whose data was parsed with its own event's schema (parseDelivery).
 */
export interface InboxHandlers {
  single: EventHandlers<EventCatalog>;
  batch: BatchEventHandlers<EventCatalog>;
}

export interface InboxEvent {
  envelope: EventEnvelope;
  type: string;
  /** The trace its handler runs in, so the handler's spans and logs join the event's trace. */
  trace?: TraceContext;
}

/** The database could not start the work: not the events' fault, so it costs them no attempt. */
export class InboxUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The inbox transaction could not start', { cause });
    this.name = 'InboxUnavailableError';
  }
}

/**
 * Handlers and inbox rows of a batch in one transaction: all happen, or none. Returns the ids of
 * the events that were new; the others were already processed and nothing ran for them. Events
 * run in delivery order, grouped into runs of one type, so an event still sees the effect of the
 * one before it (a PRODUCT_CREATED before an ORDER_CREATED for that product).
 */
export async function handleInInbox(
  pool: Pool,
  consumer: string,
  batch: readonly InboxEvent[],
  handlers: InboxHandlers,
): Promise<Set<string>> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new InboxUnavailableError(error);
  }
  let broken: Error | undefined;
  try {
    let fresh: Set<string>;
    try {
      await client.query('BEGIN');
      fresh = await recordManyInInbox(
        client,
        consumer,
        batch.map(({ envelope, type }) => ({ eventId: envelope.eventId, eventType: type })),
      );
    } catch (error) {
      throw new InboxUnavailableError(error);
    }
    if (fresh.size === 0) {
      await client.query('ROLLBACK');
      return fresh;
    }
    // A second copy of one event in the same batch is a duplicate of the first.
    const pending = new Set(fresh);
    const toRun = batch.filter(({ envelope }) => pending.delete(envelope.eventId));
    for (const run of runsOfOneType(toRun)) await handleRun(run, client, handlers);
    const commit = await client.query('COMMIT');
    // A handler that swallowed a query error leaves the transaction aborted; Postgres then
    // answers COMMIT with ROLLBACK, and acking would lose the effect silently.
    if (commit.command === 'ROLLBACK') throw new Error('The handler transaction was aborted');
    return fresh;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

async function handleRun(
  run: InboxEvent[],
  tx: PoolClient,
  handlers: InboxHandlers,
): Promise<void> {
  const type = run[0]!.type;
  const batchHandler = handlers.batch[type];
  if (batchHandler) {
    // One call for many events runs in one trace, its first event's; what it enqueues still
    // joins the trace of the event it answers (causing-trace.ts).
    const traces = new Map<string, TraceContext>();
    for (const { envelope, trace } of run)
      if (trace && envelope.correlationId) traces.set(envelope.correlationId, trace);
    await withTraceContext(run[0]!.trace, () =>
      runWithCausingTraces(traces, () =>
        batchHandler(
          run.map(({ envelope }) => envelope),
          tx,
        ),
      ),
    );
    return;
  }
  const handler = handlers.single[type]!;
  for (const { envelope, trace } of run) {
    const handle = () => handler(envelope, tx);
    await withTraceContext(trace, () =>
      envelope.correlationId
        ? runWithRequestContext({ requestId: envelope.correlationId }, handle)
        : handle(),
    );
  }
}

function runsOfOneType(events: readonly InboxEvent[]): InboxEvent[][] {
  const runs: InboxEvent[][] = [];
  for (const event of events) {
    const last = runs.at(-1);
    if (last && last[0]!.type === event.type) last.push(event);
    else runs.push([event]);
  }
  return runs;
}
