import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import http from 'node:http';
import express from 'express';
import { hasSample, parsePrometheusText, startTestServer } from '@shop/testkit';
import {
  customerToken,
  startEcho,
  startEchoes,
  startGateway,
  upstreamEnv,
  type Echo,
  type GatewayUnderTest,
} from './support';

describe('gateway when upstreams fail', () => {
  let echoes: Awaited<ReturnType<typeof startEchoes>>;
  let stopped: Echo;
  let hanging: Echo;
  let gateway: GatewayUnderTest;
  let hangingGateway: GatewayUnderTest;
  let env: Record<string, string>;

  before(async () => {
    echoes = await startEchoes();
    stopped = await startEcho('order-service');
    await stopped.close();
    hanging = await startEcho('inventory-service', { hang: true });
    env = {
      ...upstreamEnv(echoes),
      ORDER_SERVICE_URL: stopped.url,
      INVENTORY_SERVICE_URL: hanging.url,
      UPSTREAM_TIMEOUT_MS: '300',
      CIRCUIT_FAILURE_THRESHOLD: '3',
      CIRCUIT_RESET_MS: '60000',
    };
    // A long timeout here shows that a refused connection does not wait for it.
    gateway = await startGateway({ env: { ...env, UPSTREAM_TIMEOUT_MS: '5000' } });
    hangingGateway = await startGateway({ env });
  });
  after(async () => {
    await Promise.all([gateway.close(), hangingGateway.close()]);
    await Promise.all([echoes.close(), hanging.close()]);
  });

  test('when an upstream is stopped, then the caller gets a 503 problem at once and the gateway stays up', async () => {
    const started = Date.now();
    const response = await gateway.api.get('/api/orders', {
      token: customerToken(),
      headers: { 'x-request-id': 'dead-upstream-1' },
    });
    assert.ok(Date.now() - started < 2500, 'no wait for the 5 s timeout on a refused connection');
    assert.equal(response.status, 503);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(response.body.requestId, 'dead-upstream-1');
    assert.match(response.body.detail, /order-service is unavailable/);

    assert.equal((await gateway.api.get('/health')).status, 200);
    assert.equal((await gateway.api.get('/api/products')).status, 200, 'other routes still work');
  });

  test('when an upstream does not answer, then the caller gets a 504 problem within the timeout', async () => {
    const started = Date.now();
    const response = await hangingGateway.api.get('/api/inventory/p1', {
      token: customerToken(),
    });
    const elapsed = Date.now() - started;
    assert.equal(response.status, 504);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.match(response.body.detail, /inventory-service did not answer within 300 ms/);
    assert.ok(response.body.requestId);
    assert.ok(elapsed >= 280 && elapsed < 3000, `answered after ${elapsed} ms`);
  });

  test('when an upstream keeps failing, then its circuit opens and callers get 503 without a call', async () => {
    const fresh = await startGateway({
      env: { ...env, UPSTREAM_TIMEOUT_MS: '1000', CIRCUIT_FAILURE_THRESHOLD: '2' },
    });
    const token = customerToken();
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      statuses.push((await fresh.api.get('/api/inventory/p2', { token })).status);
    }
    const reached = hanging.received.length;
    const started = Date.now();
    const shortCircuited = await fresh.api.get('/api/inventory/p3', { token });
    await fresh.close();
    assert.ok(statuses.every((status) => status === 504));
    assert.equal(shortCircuited.status, 503);
    assert.match(shortCircuited.body.detail, /circuit is open/);
    assert.ok(Date.now() - started < 1000, 'an open circuit answers without waiting the timeout');
    assert.equal(hanging.received.length, reached, 'the open circuit sent nothing upstream');
  });

  test('when an upstream dies in the middle of its answer, then the caller sees the cut at once, not a hang', async () => {
    const app = express();
    app.use((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const dying = await startTestServer(app);
    const dyingGateway = await startGateway({ env: { ...env, PRODUCT_SERVICE_URL: dying.url } });
    try {
      const url = new URL(dyingGateway.url);
      const outcome = await new Promise<string>((resolve) => {
        http
          .get({ host: url.hostname, port: url.port, path: '/api/products' }, (res) => {
            res.resume();
            res.on('end', () => resolve('complete'));
            res.on('error', () => resolve('cut'));
          })
          .on('error', () => resolve('cut'));
      });
      assert.equal(outcome, 'cut');
      assert.equal((await dyingGateway.api.get('/health')).status, 200);
    } finally {
      await dyingGateway.close();
      await dying.close();
    }
  });

  test('when metrics are scraped, then upstream requests are counted by upstream and status', async () => {
    const scrape = async () => parsePrometheusText((await gateway.api.get('/metrics')).text);
    const count = (metrics: Awaited<ReturnType<typeof scrape>>, upstream: string, status: number) =>
      metrics.samples.find(
        (s) =>
          s.name === 'gateway_upstream_requests_total' &&
          s.labels.includes(`upstream="${upstream}"`) &&
          s.labels.includes(`status_code="${status}"`),
      )?.value ?? 0;
    const before = await scrape();
    await gateway.api.get('/api/products');
    await gateway.api.get('/api/orders', { token: customerToken() });
    const metrics = await scrape();
    assert.equal(count(metrics, 'product-service', 200), count(before, 'product-service', 200) + 1);
    assert.equal(count(metrics, 'order-service', 503), count(before, 'order-service', 503) + 1);
    assert.equal(metrics.types.get('gateway_upstream_duration_seconds'), 'histogram');
    assert.ok(
      hasSample(metrics, 'gateway_upstream_duration_seconds_count', 'upstream="product-service"'),
    );
  });
});
