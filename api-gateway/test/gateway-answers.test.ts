import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger } from '@shop/service-kit';
import { parsePrometheusText, useSuite } from '@shop/testkit';
import { customerToken, startEchoes, startGateway, upstreamEnv } from './support';

/**
 * The proxied routes are served without Express (src/routes/gateway.ts), so what the kit's
 * Express skeleton gives the gateway's own answers is checked here for them: the same security
 * headers, CORS, request id, problem details, access line and request metrics.
 */
describe('gateway answers on proxied routes', () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const suite = useSuite(
    async () => {
      const echoes = await startEchoes();
      const gateway = await startGateway({
        env: {
          ...upstreamEnv(echoes),
          CORS_ORIGINS: 'https://shop.example',
          // Nothing listens here: a route to it fails with 503.
          INVENTORY_SERVICE_URL: 'http://127.0.0.1:1',
        },
        logger: createLogger({ service: 'api-gateway', level: 'info', destination }),
      });
      return { echoes, gateway };
    },
    async ({ echoes, gateway }) => {
      await gateway.close();
      await echoes.close();
    },
  );

  const securityHeaderNames = (headers: Headers) =>
    [...headers.keys()].filter((name) =>
      /^(content-security-policy|cross-origin-|origin-agent-cluster|referrer-policy|strict-transport-security|x-content-type-options|x-dns-prefetch-control|x-download-options|x-frame-options|x-permitted-cross-domain-policies|x-xss-protection)/.test(
        name,
      ),
    );

  test('when a proxied answer and a 401 from a proxied route come back, then both carry the security headers the gateway sends on its own routes', async () => {
    const own = await suite.gateway.api.get('/health');
    const expected = securityHeaderNames(own.headers).sort();
    assert.ok(expected.length >= 10, `helmet's headers on /health: ${expected.join(', ')}`);
    // The stub upstream sends no security headers of its own: these are the gateway's.
    const proxied = await suite.gateway.api.get('/api/products/p1');
    assert.equal(proxied.status, 200);
    assert.deepEqual(securityHeaderNames(proxied.headers).sort(), expected);
    const refused = await suite.gateway.api.get('/api/orders');
    assert.equal(refused.status, 401);
    assert.deepEqual(securityHeaderNames(refused.headers).sort(), expected);
    assert.equal(
      refused.headers.get('content-security-policy'),
      own.headers.get('content-security-policy'),
    );
  });

  test('when a refusal comes from a proxied route, then it is problem details with the request id, the CORS allowance and the rate-limit headers', async () => {
    const response = await suite.gateway.api.get('/api/orders', {
      headers: { origin: 'https://shop.example', 'x-request-id': 'refused-1' },
    });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    assert.equal(response.headers.get('x-request-id'), 'refused-1');
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://shop.example');
    assert.equal(response.headers.get('vary'), 'Origin');
    assert.match(response.headers.get('access-control-expose-headers') ?? '', /RateLimit/);
    assert.match(response.headers.get('ratelimit') ?? '', /^"10000-in-60sec"; r=\d+; t=\d+$/);
    assert.equal(response.body.requestId, 'refused-1');
    assert.equal(response.body.type, '/problems/unauthorized');
  });

  test('when proxied requests are answered, then each is counted once under its route pattern', async () => {
    const route = '/api{/v1}/products{/*rest}';
    const count = async () => {
      const { samples } = parsePrometheusText((await suite.gateway.api.get('/metrics')).text);
      const sample = samples.find(
        ({ name, labels }) =>
          name === 'http_requests_total' &&
          labels.includes('method="GET"') &&
          labels.includes(`route="${route}"`) &&
          labels.includes('status_code="200"'),
      );
      return sample?.value ?? 0;
    };
    const before = await count();
    for (const path of ['/api/products', '/api/v1/products/p1', '/api/products/p2?x=1']) {
      assert.equal((await suite.gateway.api.get(path)).status, 200);
    }
    assert.equal((await count()) - before, 3);
  });

  test('when a proxied route fails upstream, then one error line says why, with the request id', async () => {
    const response = await suite.gateway.api.get('/api/inventory/p1', {
      token: customerToken(),
      headers: { 'x-request-id': 'no-inventory-1' },
    });
    assert.equal(response.status, 503);
    const mine = lines.filter((line) => line.requestId === 'no-inventory-1');
    assert.equal(mine.length, 1, JSON.stringify(mine));
    assert.equal(mine[0]!.level, 'error');
    assert.match(String(mine[0]!.msg), /inventory-service is unavailable/);
    assert.deepEqual(mine[0]!.req, { method: 'GET', url: '/api/inventory/p1' });
  });

  test('when a proxied read succeeds, then nothing is logged at info', async () => {
    const before = lines.length;
    assert.equal((await suite.gateway.api.get('/api/products/quiet')).status, 200);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lines.length, before);
  });
});
