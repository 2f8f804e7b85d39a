import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
} from '@opentelemetry/api';

/** The active trace context, held as a value to resume later in this process. */
export type TraceContext = Context;

export function activeTraceContext(): TraceContext {
  return context.active();
}

/** Runs `fn` in a context taken earlier with `activeTraceContext`. */
export function withTraceContext<T>(traceContext: TraceContext | undefined, fn: () => T): T {
  return traceContext ? context.with(traceContext, fn) : fn();
}

/** W3C trace context as carried in headers: `traceparent` and, when set, `tracestate`. */
export type TraceCarrier = Record<string, string>;

/**
 * The current span's trace context to store beside work that continues later (an outbox row), or
 * null when nothing is being traced. Without the SDK the API is a no-op and this is always null.
 */
export function currentTraceCarrier(): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : null;
}

/** Runs `fn` as a continuation of the stored trace context, so the spans it makes join that trace. */
export function runInTraceContext<T>(carrier: TraceCarrier | null | undefined, fn: () => T): T {
  if (!carrier) return fn();
  return context.with(propagation.extract(ROOT_CONTEXT, carrier), fn);
}

/** The ids a log line carries to be found from its trace (and the trace from it). */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * Names the current server span after its route (`GET /api{/v1}/products{/*rest}`), as the
 * Express instrumentation does for Express routes, for a handler that serves requests without
 * Express. A no-op when nothing is being traced.
 */
export function nameServerSpan(method: string, route: string): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
}
