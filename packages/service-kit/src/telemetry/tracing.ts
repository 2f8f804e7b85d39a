import type { IncomingMessage } from 'node:http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MongooseInstrumentation } from '@opentelemetry/instrumentation-mongoose';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { PROBE_PATHS } from '../probe-paths';
import type { TelemetrySettings } from './settings';

function untracedRequest(request: IncomingMessage): boolean {
  const path = (request.url ?? '').split('?')[0] ?? '';
  return PROBE_PATHS.has(path);
}

function spanProcessor(
  kind: 'otlp' | 'console',
  protocol: 'http/protobuf' | 'http/json',
): SpanProcessor {
  if (kind === 'console') return new SimpleSpanProcessor(new ConsoleSpanExporter());
  // The exporters read OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout, compression) and the
  // batch processor OTEL_BSP_* themselves.
  const exporter = protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  return new BatchSpanProcessor(exporter);
}

/**
 * The SDK and only the instrumentations this system uses (not the auto-instrumentations bundle,
 * which loads some sixty of them). Background work without a parent span (relay polls, registry
 * heartbeats, sweeps) makes no spans, so every trace starts at a request or a message.
 */
export function startTracing(
  settings: Extract<TelemetrySettings, { enabled: true }>,
): () => Promise<void> {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: settings.exporters.map((kind) => spanProcessor(kind, settings.protocol)),
  });
  // W3C traceparent and baggage, with AsyncLocalStorage carrying the context across awaits.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: untracedRequest,
        requireParentforOutgoingSpans: true,
      }),
      // Route spans name the request ("GET /api/orders/:id"); one span per middleware is noise.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new MongooseInstrumentation({ requireParentSpan: true }),
      new AmqplibInstrumentation(),
    ],
  });
  // Spans are best effort: while running, the batch processor drops an export that fails without a
  // word, and the last flush does the same, so a collector that is away (Compose without the
  // observability profile) never turns a clean stop into "shutdown step failed" and exit code 1.
  return () => provider.shutdown().catch(() => undefined);
}
