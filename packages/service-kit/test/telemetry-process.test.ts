import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  spawnTs,
  startOtlpReceiver,
  waitFor,
  waitForExit,
  waitForOutput,
  type OtlpReceiver,
} from '@shop/testkit';

const SERVER_SPAN = 2;

/** A service process started as main.ts starts it, with only these variables in its environment. */
async function startTraced(env: Record<string, string>) {
  const child = spawnTs(path.join(__dirname, 'fixtures', 'traced-service.ts'), env);
  const exited = waitForExit(child);
  const listening = await waitForOutput(child, /listening on/);
  const url = /listening on (http:\/\/\S+)"/.exec(listening)?.[1] ?? '';
  assert.ok(url, listening);
  return {
    url,
    probe: async (headers: Record<string, string> = {}) => {
      const response = await fetch(`${url}/probe`, { headers });
      assert.equal(response.status, 200);
      return (await response.json()) as { sdkLoaded: boolean };
    },
    /** SIGTERM, as an orchestrator stops it (the SDK flushes then); what it wrote meanwhile. */
    stop: async () => {
      child.kill('SIGTERM');
      const result = await exited;
      const lines = result.stdout.split('\n').filter(Boolean);
      return { ...result, lines };
    },
  };
}

const newTrace = () => ({
  traceId: randomBytes(16).toString('hex'),
  parentId: randomBytes(8).toString('hex'),
});
const traceparent = ({ traceId, parentId }: ReturnType<typeof newTrace>) => ({
  traceparent: `00-${traceId}-${parentId}-01`,
});

/** Every line is one of the service's own JSON log lines, none of them a warning or worse. */
function assertOnlyOwnLogLines(lines: string[], stderr: string) {
  assert.equal(stderr, '');
  for (const line of lines) {
    const entry = JSON.parse(line) as { level: string; service: string };
    assert.equal(entry.service, 'traced-service', line);
    assert.ok(['info', 'debug'].includes(entry.level), line);
  }
}

describe('tracing in a service process, from the OTEL_* variables', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(() => receiver.close());

  // Spans leave within 50 ms instead of the default 5 s.
  const exportQuickly = () => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });

  test('when no OTEL_* variable is set, then the SDK is not loaded and nothing is written about tracing', async () => {
    const service = await startTraced({});
    assert.deepEqual(await service.probe(traceparent(newTrace())), { sdkLoaded: false });
    const { code, lines, stderr } = await service.stop();
    assert.equal(code, 0);
    assertOnlyOwnLogLines(lines, stderr);
    const probed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(probed.some((entry) => entry.msg === 'probed'));
    assert.ok(probed.every((entry) => entry.trace_id === undefined));
  });

  test("when an OTLP endpoint is set, then the request's span reaches it under the service's name, in the caller's trace, and probes make none", async () => {
    const service = await startTraced(exportQuickly());
    const caller = newTrace();
    try {
      await fetch(`${service.url}/health`);
      assert.deepEqual(await service.probe(traceparent(caller)), { sdkLoaded: true });
      const span = await waitFor(
        () => receiver.spans.find((s) => s.traceId === caller.traceId && s.kind === SERVER_SPAN),
        { what: "the probe's server span" },
      );
      assert.equal(span.service, 'traced-service');
      assert.equal(span.parentSpanId, caller.parentId);
    } finally {
      const { lines, stderr } = await service.stop();
      assertOnlyOwnLogLines(lines, stderr);
      const probed = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'probed');
      assert.equal(probed?.trace_id, caller.traceId);
    }
    assert.deepEqual(
      receiver.spans.filter((span) => span.traceId !== caller.traceId),
      [],
      '/health was not traced',
    );
  });

  test('when OTEL_TRACES_SAMPLER keeps no new trace, then only the request that arrives sampled is exported, under OTEL_SERVICE_NAME', async () => {
    receiver.spans.length = 0;
    const service = await startTraced({
      ...exportQuickly(),
      OTEL_SERVICE_NAME: 'orders-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    const caller = newTrace();
    try {
      await service.probe();
      await service.probe(traceparent(caller));
      const span = await waitFor(() => receiver.spans.find((s) => s.traceId === caller.traceId), {
        what: 'the sampled request span',
      });
      assert.equal(span.service, 'orders-eu');
    } finally {
      await service.stop();
    }
    // Spans leave in the order they ended: the unsampled request's would have come first.
    assert.deepEqual(
      receiver.spans.filter((span) => span.traceId !== caller.traceId),
      [],
      'the request that started its own trace was not sampled',
    );
  });

  test('when the OTLP endpoint does not answer, then the spans are dropped without a word', async () => {
    // A port nothing listens on, as Compose's jaeger:4318 without the observability profile.
    const service = await startTraced({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    });
    assert.deepEqual(await service.probe(traceparent(newTrace())), { sdkLoaded: true });
    // The span is still buffered (the batch waits 5 s): stopping exports it, and that fails.
    const { code, lines, stderr } = await service.stop();
    assert.equal(code, 0);
    assertOnlyOwnLogLines(lines, stderr);
  });

  test('when OTEL_TRACES_EXPORTER is console, then spans are written to stdout without any endpoint', async () => {
    const service = await startTraced({ OTEL_TRACES_EXPORTER: 'console' });
    const caller = newTrace();
    await service.probe(traceparent(caller));
    const { stdout } = await service.stop();
    assert.match(stdout, new RegExp(`traceId: '${caller.traceId}'`));
  });

  test('when OTEL_TRACES_SAMPLER is misspelt, then the service exits with one line naming it', async () => {
    const child = spawnTs(path.join(__dirname, 'fixtures', 'traced-service.ts'), {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'parentbased_ratio',
    });
    const { code, stderr } = await waitForExit(child);
    assert.equal(code, 1);
    assert.match(
      stderr.trim(),
      /^traced-service: invalid telemetry configuration: OTEL_TRACES_SAMPLER: expected always_on/,
    );
    assert.equal(stderr.trim().split('\n').length, 1);
  });
});
