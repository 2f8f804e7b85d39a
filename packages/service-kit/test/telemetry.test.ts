import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { telemetrySettings, TelemetryConfigError } from '../src/telemetry';
import {
  createLogger,
  currentTraceCarrier,
  runInTraceContext,
  runWithRequestContext,
} from '../src';

describe('telemetry settings from the OTEL_* variables', () => {
  test('when no endpoint and no exporter are set, then tracing is off', () => {
    assert.deepEqual(telemetrySettings({}, 'order-service'), { enabled: false });
    assert.deepEqual(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, 'x'), {
      enabled: false,
    });
  });

  test('when an OTLP endpoint is set, then spans go there over http/protobuf as the service', () => {
    assert.deepEqual(
      telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }, 'order-service'),
      {
        enabled: true,
        serviceName: 'order-service',
        exporters: ['otlp'],
        protocol: 'http/protobuf',
      },
    );
    const traces = telemetrySettings(
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' },
      'api-gateway',
    );
    assert.equal(traces.enabled, true);
  });

  test('when OTEL_SERVICE_NAME, the protocol and the exporters are given, then they win', () => {
    assert.deepEqual(
      telemetrySettings(
        {
          OTEL_SERVICE_NAME: 'orders-eu',
          OTEL_TRACES_EXPORTER: 'console, otlp',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        },
        'order-service',
      ),
      {
        enabled: true,
        serviceName: 'orders-eu',
        exporters: ['console', 'otlp'],
        protocol: 'http/json',
      },
    );
  });

  test('when the exporter is none or the SDK is disabled, then tracing is off even with an endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };
    assert.equal(
      telemetrySettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }, 'x').enabled,
      false,
    );
    assert.equal(telemetrySettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' }, 'x').enabled, false);
  });

  test('when a value is malformed, then the error names the variable', () => {
    assert.throws(
      () => telemetrySettings({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'x'),
      (error: Error) =>
        error instanceof TelemetryConfigError && /OTEL_TRACES_EXPORTER/.test(error.message),
    );
    assert.throws(
      () => telemetrySettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'x'),
      /OTEL_EXPORTER_OTLP_PROTOCOL: expected http\/protobuf or http\/json/,
    );
    assert.throws(
      () => telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger' }, 'x'),
      /ENDPOINT/,
    );
  });

  test('when the sampler or its ratio is not one the SDK knows, then the error names the variable instead of sampling everything', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };
    for (const value of ['parentbased_traceidratio', 'always_off', '']) {
      assert.equal(
        telemetrySettings({ ...endpoint, OTEL_TRACES_SAMPLER: value }, 'x').enabled,
        true,
      );
    }
    assert.throws(
      () => telemetrySettings({ ...endpoint, OTEL_TRACES_SAMPLER: 'ratio' }, 'x'),
      /^TelemetryConfigError: OTEL_TRACES_SAMPLER: expected always_on/,
    );
    assert.equal(
      telemetrySettings({ ...endpoint, OTEL_TRACES_SAMPLER_ARG: '0.1' }, 'x').enabled,
      true,
    );
    for (const ratio of ['10%', '1.5', '-0.1']) {
      assert.throws(
        () => telemetrySettings({ ...endpoint, OTEL_TRACES_SAMPLER_ARG: ratio }, 'x'),
        /OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1/,
        ratio,
      );
    }
  });
});

describe('trace context in logs and stored work', () => {
  // A real tracer and context manager in this process, as startTelemetry registers them.
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracer = new BasicTracerProvider().getTracer('test');

  function captureLogs() {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line));
        done();
      },
    });
    return { lines, logger: createLogger({ service: 'traced', destination }) };
  }

  test('when a line is logged inside a span, then it carries trace_id and span_id beside the request id', async () => {
    const { lines, logger } = captureLogs();
    const span = tracer.startSpan('handle');
    await context.with(trace.setSpan(context.active(), span), () =>
      runWithRequestContext({ requestId: 'req-1' }, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        logger.info('inside');
      }),
    );
    span.end();
    logger.info('outside');
    const { traceId, spanId } = span.spanContext();
    assert.deepEqual(
      { requestId: lines[0]?.requestId, trace_id: lines[0]?.trace_id, span_id: lines[0]?.span_id },
      { requestId: 'req-1', trace_id: traceId, span_id: spanId },
    );
    assert.equal(lines[1]?.trace_id, undefined);
  });

  test('when work is stored with its trace context and resumed later, then its spans join that trace', () => {
    assert.equal(currentTraceCarrier(), null, 'nothing to store outside a span');
    const span = tracer.startSpan('place order');
    const stored = context.with(trace.setSpan(context.active(), span), () => currentTraceCarrier());
    span.end();
    assert.match(stored?.traceparent ?? '', new RegExp(`^00-${span.spanContext().traceId}-`));
    const resumed = runInTraceContext(stored, () => tracer.startSpan('publish'));
    resumed.end();
    assert.equal(resumed.spanContext().traceId, span.spanContext().traceId);
    assert.equal(
      (resumed as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId,
      span.spanContext().spanId,
    );
  });
});
