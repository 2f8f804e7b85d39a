import { AsyncLocalStorage } from 'node:async_hooks';
import {
  currentTraceCarrier,
  runWithRequestContext,
  withTraceContext,
  type TraceCarrier,
  type TraceContext,
} from '@shop/service-kit';

// A batch handler answers many events in one call, and so in one active trace (its first
// event's). The events it enqueues name the request that caused them by correlationId, so that
// id picks the trace each answer continues: every answer joins the trace of the event it answers.
const causingTraces = new AsyncLocalStorage<ReadonlyMap<string, TraceContext>>();

/** Runs a batch handler with the trace of each of its events, by correlation id. */
export function runWithCausingTraces<T>(traces: ReadonlyMap<string, TraceContext>, fn: () => T): T {
  return causingTraces.run(traces, fn);
}

/** The trace context to store with an outbox row whose event has this correlation id. */
export function traceCarrierFor(correlationId: string | null): TraceCarrier | null {
  const causing = correlationId ? causingTraces.getStore()?.get(correlationId) : undefined;
  return causing ? withTraceContext(causing, currentTraceCarrier) : currentTraceCarrier();
}

/**
 * Runs `fn` as part of one event of a batch: in that event's trace and with its request id, so a
 * line a batch handler logs about it carries its own trace_id and requestId, not the batch's
 * first event's.
 */
export function inEventContext<T>(event: { correlationId: string | null }, fn: () => T): T {
  const { correlationId } = event;
  if (!correlationId) return fn();
  return withTraceContext(causingTraces.getStore()?.get(correlationId), () =>
    runWithRequestContext({ requestId: correlationId }, fn),
  );
}
