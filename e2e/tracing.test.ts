import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  clientFor,
  startOtlpReceiver,
  waitFor,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@shop/testkit';
import { alertRuleMetrics } from '../deploy/test/alert-rules';
import { startShop, type Shop } from './support';

// The whole system exporting to a real OTLP/HTTP receiver, as it would to Jaeger or a collector.
let receiver: OtlpReceiver;
let shop: Shop;
const logLines: { source: string; entry: Record<string, unknown> }[] = [];

before(async () => {
  receiver = await startOtlpReceiver();
  shop = await startShop({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Spans leave within a tenth of a second instead of the default five.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // A successful request's access line is debug: every service then writes one for the order.
      LOG_LEVEL: 'debug',
    },
    onLog: (source, line) => {
      if (!line.startsWith('{')) return;
      try {
        logLines.push({ source, entry: JSON.parse(line) as Record<string, unknown> });
      } catch {
        // A partial line: not a log entry to look at.
      }
    },
  });
});
after(async () => {
  await shop?.stop();
  await receiver?.close();
});

const SPAN_KIND = { server: 2, producer: 4, consumer: 5 } as const;

function spansOf(traceId: string) {
  return receiver.spans.filter((span) => span.traceId === traceId);
}

function find(
  spans: ReceivedSpan[],
  service: string,
  kind: number,
  match: (span: ReceivedSpan) => boolean = () => true,
) {
  return spans.find((span) => span.service === service && span.kind === kind && match(span));
}

const routingKey = (key: string) => (span: ReceivedSpan) =>
  span.attributes['messaging.rabbitmq.routing_key'] === key;

describe('one order, one trace', () => {
  test("when an order is placed with a caller's traceparent, then every service's spans join that trace", async () => {
    const adminToken = await shop.adminToken();
    const lamp = await shop.createProduct(adminToken, {
      name: 'Traced lamp',
      price: 2500,
      initialStock: 3,
    });
    const customer = await shop.signUp('tracy');
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');

    const placed = await shop.api.post(
      '/orders',
      { items: [{ productId: lamp.id, quantity: 1 }] },
      { token: customer.token, headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } },
    );
    assert.equal(placed.status, 201, placed.text);
    const order = await shop.finalOrder(placed.body.id, customer.token);
    assert.equal(order.status, 'CONFIRMED');

    // The saga's last step is order-service consuming INVENTORY_RESERVED; wait for its span.
    const spans = await waitFor(
      () => {
        const all = spansOf(traceId);
        return find(all, 'order-service', SPAN_KIND.consumer, routingKey('inventory.reserved'))
          ? all
          : undefined;
      },
      { what: 'the spans of the whole saga', timeoutMs: 20_000 },
    );
    const expected = {
      'gateway: the request': find(spans, 'api-gateway', SPAN_KIND.server),
      'order-service: the request': find(spans, 'order-service', SPAN_KIND.server),
      'product-service: pricing': find(spans, 'product-service', SPAN_KIND.server),
      'order-service: the outbox publish of ORDER_CREATED': find(
        spans,
        'order-service',
        SPAN_KIND.producer,
        routingKey('order.created'),
      ),
      'inventory-service: the ORDER_CREATED consume': find(
        spans,
        'inventory-service',
        SPAN_KIND.consumer,
        routingKey('order.created'),
      ),
      'inventory-service: its INVENTORY_RESERVED publish': find(
        spans,
        'inventory-service',
        SPAN_KIND.producer,
        routingKey('inventory.reserved'),
      ),
      'order-service: the INVENTORY_RESERVED consume': find(
        spans,
        'order-service',
        SPAN_KIND.consumer,
        routingKey('inventory.reserved'),
      ),
    };
    const summary = spans.map((span) => `${span.service} ${span.kind} ${span.name}`).join('\n');
    for (const [what, span] of Object.entries(expected)) {
      assert.ok(span, `no span for ${what}; the trace has:\n${summary}`);
    }
    // One tree: the gateway continued the caller's span, and every other span has its parent in
    // the trace, so no hop (HTTP, outbox, broker) started a trace of its own.
    assert.equal(expected['gateway: the request']!.parentSpanId, callerSpanId);
    const ids = new Set(spans.map((span) => span.spanId));
    for (const span of spans) {
      assert.ok(
        span.parentSpanId === callerSpanId || ids.has(span.parentSpanId),
        `${span.service} "${span.name}" hangs from a span outside the trace`,
      );
    }

    // The log lines of that work carry the trace and span ids beside the request id.
    const traced = logLines.filter(({ entry }) => entry.trace_id === traceId);
    for (const service of [
      'api-gateway',
      'order-service',
      'product-service',
      'inventory-service',
    ]) {
      const line = traced.find(({ source }) => source === service);
      assert.ok(line, `no ${service} log line carries trace_id ${traceId}`);
      assert.match(String(line.entry.span_id), /^[0-9a-f]{16}$/);
      assert.equal(typeof line.entry.requestId, 'string', `${service} line has a requestId`);
    }
  });

  test('when Prometheus evaluates the alert rules, then every metric they read is served by some service', async () => {
    const served = new Set<string>();
    for (const [name, url] of Object.entries(shop.system.urls)) {
      const response = await clientFor(url).get('/metrics');
      assert.equal(response.status, 200, `${name} /metrics`);
      for (const match of response.text.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm))
        served.add(match[1]!);
    }
    for (const { alert, metric } of alertRuleMetrics()) {
      assert.ok(served.has(metric), `alert ${alert} reads ${metric}, which no service serves`);
    }
  });
});
