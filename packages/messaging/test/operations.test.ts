import { shopEvents } from '@shop/contracts';
import { spanExporter, tracer } from './fixtures/tracing';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { withTransaction } from '@shop/postgres';
import { createLogger } from '@shop/service-kit';
import { testServers, waitFor } from '@shop/testkit';
import {
  connectRabbit,
  deadQueueName,
  enqueueEvent,
  enqueueEvents,
  inEventContext,
  qualify,
  retryQueueName,
} from '../src';
import { logger, useMessagingSuite } from './fixtures/harness';

const suite = useMessagingSuite('messaging_ops', ({ harness }) =>
  harness.pool.query('CREATE TABLE refunds (order_id text NOT NULL)'),
);

async function sample(name: string, labels: Record<string, string> = {}) {
  const metric = await suite.harness.metrics.getSingleMetric(name)!.get();
  return metric.values.find((value) =>
    Object.entries(labels).every(([key, expected]) => value.labels[key] === expected),
  )?.value;
}

/** The dead-letters command as an operator runs it (`npm run dead-letters -- ...`). */
function deadLetters(...args: string[]): Promise<{ code: number; output: string }> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'scripts/dead-letters.ts', ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        RABBITMQ_URL: testServers.rabbitmqUrl,
        RABBITMQ_NAMESPACE: suite.harness.namespace,
      },
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? 1, output })));
}

test('when the relay cannot reach the broker, then outbox_oldest_pending_age_seconds grows, and drops to 0 once it publishes', async () => {
  const unreachable = connectRabbit({
    catalog: shopEvents,
    url: 'amqp://guest:guest@127.0.0.1:1',
    logger,
    metrics: suite.harness.metrics,
    namespace: suite.harness.namespace,
    reconnectDelayMs: 50,
    maxReconnectDelayMs: 200,
  });
  const stuck = suite.harness.relay({
    rabbit: unreachable,
    intervalMs: 50,
  });
  // An event nobody here consumes: the relay publishes it as soon as the broker answers.
  await withTransaction(suite.harness.pool, (tx) =>
    enqueueEvent(tx, shopEvents, 'ORDER_CONFIRMED', { orderId: 'lagging', userId: 'u-1' }),
  );
  await waitFor(async () => ((await sample('outbox_oldest_pending_age_seconds')) ?? 0) >= 1, {
    what: 'the outbox lag to reach a second',
  });
  await stuck.stop();
  await unreachable.close();

  const relay = suite.harness.relay({
    rabbit: suite.rabbit,
    intervalMs: 50,
  });
  try {
    await waitFor(async () => (await sample('outbox_oldest_pending_age_seconds')) === 0, {
      what: 'the lag to fall to 0 once published',
    });
  } finally {
    await relay.stop();
  }
});

test('when an event written in a traced request fails until it is dead-lettered and is then re-driven, then it takes effect exactly once and every hop stays in that trace', async () => {
  spanExporter.reset();
  let refundsBroken = true;
  const queue = 'refund-events';
  const qualified = qualify(suite.harness.namespace, queue);
  const consumer = suite.harness.consumer({
    rabbit: suite.rabbit,
    queue,
    events: ['ORDER_CANCELLED'],
    maxAttempts: 2,
    retryDelaysMs: [50],
    handlers: {
      ORDER_CANCELLED: async (event, tx) => {
        await tx.query('INSERT INTO refunds (order_id) VALUES ($1)', [event.data.orderId]);
        if (refundsBroken) throw new Error('payment provider down');
      },
    },
  });
  await consumer.waitUntilConsuming();
  const relay = suite.harness.relay({
    rabbit: suite.rabbit,
    intervalMs: 50,
  });
  try {
    // Placed inside a request's span, as order-service does.
    const request = tracer.startSpan('POST /orders/:id/cancel', { kind: SpanKind.SERVER });
    const { traceId } = request.spanContext();
    await context.with(trace.setSpan(context.active(), request), () =>
      withTransaction(suite.harness.pool, (tx) =>
        enqueueEvent(tx, shopEvents, 'ORDER_CANCELLED', { orderId: 'refund-1', userId: 'u-1' }),
      ),
    );
    request.end();

    await waitFor(
      async () =>
        (await sample('messaging_queue_messages', { queue: deadQueueName(qualified) })) === 1,
      {
        what: 'the dead letter on messaging_queue_messages',
      },
    );
    assert.equal(await sample('messaging_queue_consumers', { queue: qualified }), 1);
    assert.equal(
      await sample('messaging_queue_messages', { queue: retryQueueName(qualified, 1) }),
      0,
    );

    const listed = await deadLetters('list', queue);
    assert.equal(listed.code, 0, listed.output);
    assert.match(
      listed.output,
      new RegExp(`${deadQueueName(qualified)}\\s+1\\s+max-attempts: Error: payment provider down`),
    );

    refundsBroken = false;
    const redriven = await deadLetters('redrive', queue, '--limit', '10');
    assert.equal(redriven.code, 0, redriven.output);
    assert.match(redriven.output, /Moved 1 from .*; 0 left/);
    await waitFor(
      async () => (await suite.harness.pool.query('SELECT 1 FROM refunds')).rowCount === 1,
      {
        what: 'the refund to take effect',
      },
    );
    const handled = await waitFor(
      () => {
        const spans = spanExporter
          .getFinishedSpans()
          .filter((span) => span.kind === SpanKind.CONSUMER);
        return spans.length >= 3 && spans;
      },
      { what: 'the consume spans of both attempts and the re-drive' },
    );
    // Re-driving again finds nothing, and a second copy of the event (a crash between publish
    // and ack) is absorbed by the inbox: still one refund.
    assert.match((await deadLetters('redrive', queue)).output, /Moved 0 .*; 0 left/);
    const [event] = (
      await suite.harness.pool.query(
        "SELECT envelope FROM outbox WHERE envelope->'data'->>'orderId' = 'refund-1'",
      )
    ).rows.map((row: { envelope: unknown }) => row.envelope);
    const duplicates = async () =>
      (await sample('messaging_events_consumed_total', { result: 'duplicate' })) ?? 0;
    const duplicatesBefore = await duplicates();
    suite.broker.channel.sendToQueue(qualified, Buffer.from(JSON.stringify(event)), {
      contentType: 'application/json',
    });
    await waitFor(async () => (await duplicates()) > duplicatesBefore, {
      what: 'the second copy to be seen as a duplicate',
    });
    assert.equal(await duplicates(), duplicatesBefore + 1, 'one copy, counted once');
    const { rows } = await suite.harness.pool.query('SELECT order_id FROM refunds');
    assert.deepEqual(rows, [{ order_id: 'refund-1' }]);

    const publishes = spanExporter
      .getFinishedSpans()
      .filter((span) => span.kind === SpanKind.PRODUCER && span.name.includes('orders'));
    assert.ok(publishes.length >= 1, 'the relay publish made a span');
    for (const span of [...publishes, ...handled])
      assert.equal(span.spanContext().traceId, traceId, `${span.name} is in the request's trace`);
  } finally {
    await relay.stop();
    await consumer.stop();
  }
});

test('when a batch handler answers events of several traces at once, then each answer is published, and each line logged about an event written, in the trace of that event', async () => {
  const queue = 'batch-answers';
  let batchSizes: number[] = [];
  const logged: Record<string, unknown>[] = [];
  const batchLogger = createLogger({
    service: 'batch-answers',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  });
  const start = () =>
    suite.harness.consumer({
      rabbit: suite.rabbit,
      queue,
      events: ['ORDER_CANCELLED'],
      maxBatch: 10,
      batchHandlers: {
        ORDER_CANCELLED: async (events, tx) => {
          batchSizes.push(events.length);
          for (const event of events)
            inEventContext(event, () =>
              batchLogger.info({ orderId: event.data.orderId }, 'order released'),
            );
          await enqueueEvents(
            tx,
            shopEvents,
            events.map((event) => ({
              type: 'INVENTORY_RELEASED' as const,
              data: { orderId: event.data.orderId },
              correlationId: event.correlationId ?? undefined,
            })),
          );
        },
      },
      handlers: {},
    });
  // Declared first, then both events published while nobody consumes: they arrive as one batch.
  const declaring = start();
  await declaring.waitUntilConsuming();
  await declaring.stop();
  const traces = new Map<string, string>();
  for (const orderId of ['batched-1', 'batched-2']) {
    const span = tracer.startSpan(`cancel ${orderId}`);
    traces.set(orderId, span.spanContext().traceId);
    await context.with(trace.setSpan(context.active(), span), () =>
      suite.rabbit.publish(
        'ORDER_CANCELLED',
        { orderId, userId: 'u-1' },
        { correlationId: orderId },
      ),
    );
    span.end();
  }
  batchSizes = [];
  const consumer = start();
  try {
    const rows = await waitFor(
      async () => {
        const { rows } = await suite.harness.pool.query<{
          order_id: string;
          trace_context: { traceparent: string } | null;
        }>(
          `SELECT envelope->'data'->>'orderId' AS order_id, trace_context FROM outbox
            WHERE event_type = 'INVENTORY_RELEASED'`,
        );
        return rows.length === 2 && rows;
      },
      { what: 'both answers in the outbox' },
    );
    assert.deepEqual(batchSizes, [2], 'the two events were handled as one batch');
    for (const row of rows) {
      assert.equal(row.trace_context?.traceparent.split('-')[1], traces.get(row.order_id));
    }
    assert.deepEqual(
      logged.map(({ orderId, requestId, trace_id }) => ({ orderId, requestId, trace_id })),
      ['batched-1', 'batched-2'].map((orderId) => ({
        orderId,
        requestId: orderId,
        trace_id: traces.get(orderId),
      })),
    );
  } finally {
    await consumer.stop();
  }
});
