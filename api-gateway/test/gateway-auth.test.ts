import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { call, TEST_JWT_SECRET, tokenFor } from '@shop/testkit';
import { admin, customer, customerToken, useGateway } from './support';

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function unsignedToken(): string {
  const now = Math.floor(Date.now() / 1000);
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
    sub: admin.userId,
    role: 'admin',
    iss: 'shop-user-service',
    aud: 'shop-api',
    iat: now,
    exp: now + 600,
  })}.`;
}

function tamperedToken(): string {
  const [header, payload, signature] = customerToken().split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  return `${header}.${base64url({ ...claims, role: 'admin', sub: admin.userId })}.${signature}`;
}

const expiredToken = () => tokenFor(customer, TEST_JWT_SECRET, -60);

const forgedIdentity = { 'x-user-id': admin.userId, 'x-user-role': 'admin' };

describe('gateway routing and authentication', () => {
  const suite = useGateway({
    BODY_LIMIT_BYTES: '1024',
    CORS_ORIGINS: 'https://shop.example',
  });

  /**
   * A customer's chunked POST /api/orders over node:http, which sends each write as it comes (a
   * fetch body would be sent whole); `send` writes and ends it. Resolves with the answer's head.
   */
  function postChunked(
    headers: Record<string, string>,
    send: (request: http.ClientRequest) => void,
  ): Promise<http.IncomingMessage> {
    const url = new URL(suite.gateway.url);
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/api/orders',
          headers: {
            authorization: `Bearer ${customerToken()}`,
            'transfer-encoding': 'chunked',
            ...headers,
          },
        },
        resolve,
      );
      request.on('error', reject);
      send(request);
    });
  }

  test('when a client sends X-User-Id and X-User-Role on a public route, then no service sees them', async () => {
    const response = await suite.gateway.api.get('/api/products?q=lamp', {
      headers: { ...forgedIdentity, 'x-user-email': 'admin@shop.example' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.upstream, 'product-service');
    assert.equal(response.body.path, '/products?q=lamp');
    assert.equal(response.body.headers['x-user-id'], undefined);
    assert.equal(response.body.headers['x-user-role'], undefined);
    assert.equal(response.body.headers['x-user-email'], undefined);
  });

  test('when a customer forges admin identity headers on a protected route, then the service gets only the token to go by', async () => {
    const token = customerToken();
    const response = await suite.gateway.api.get('/api/v1/orders', {
      token,
      headers: forgedIdentity,
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.upstream, 'order-service');
    assert.equal(response.body.headers['x-user-id'], undefined);
    assert.equal(response.body.headers['x-user-role'], undefined);
    assert.equal(response.body.headers.authorization, `Bearer ${token}`, 'services verify it');
  });

  test('when a client sends its own X-Forwarded-For, then services see the address the gateway saw instead', async () => {
    const response = await suite.gateway.api.post(
      '/api/users/login',
      { email: 'a@b.c', password: 'x' },
      { headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1' } },
    );
    assert.equal(response.body.upstream, 'user-service');
    const forwarded = String(response.body.headers['x-forwarded-for']);
    assert.doesNotMatch(forwarded, /203\.0\.113\.7|198\.51\.100\.1/);
    assert.match(forwarded, /^(::ffff:)?127\.0\.0\.1$/);
  });

  test('when a public route is called with a valid token, then the token is passed on and no identity header is made up', async () => {
    const token = tokenFor(admin);
    const response = await suite.gateway.api.get('/api/products/p1', { token });
    assert.equal(response.body.headers.authorization, `Bearer ${token}`);
    assert.deepEqual(
      Object.keys(response.body.headers).filter((name) => name.startsWith('x-user-')),
      [],
    );
  });

  for (const [kind, token] of [
    ['no', undefined],
    ['an expired', expiredToken],
    ['a tampered', tamperedToken],
    ['an alg:none', unsignedToken],
    ['a wrongly signed', () => tokenFor(customer, 'another-secret-that-is-long-enough-0123456789')],
  ] as const) {
    test(`when ${kind} token comes to a protected route, then the gateway answers 401 and no service is called`, async () => {
      const before = suite.echoes.totalReceived();
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token()}` } : {};
      for (const [method, path] of [
        ['GET', '/api/v1/orders'],
        ['POST', '/api/orders'],
        ['GET', '/api/inventory/p1'],
        ['GET', '/api/users/me'],
        ['POST', '/api/v1/users/logout'],
        ['POST', '/api/products'],
        ['PATCH', '/api/products/p1'],
        ['DELETE', '/api/v1/products/p1'],
      ] as const) {
        const response = await call(suite.gateway.url, method, path, {
          headers: { ...headers, ...forgedIdentity },
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
        });
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.ok(response.body.requestId);
      }
      assert.equal(suite.echoes.totalReceived(), before, 'no upstream received anything');
    });
  }

  test('when register, login and refresh are called without a token, then they reach user-service', async () => {
    for (const action of ['register', 'login', 'refresh']) {
      const response = await suite.gateway.api.post(`/api/users/${action}`, { email: 'a@b.c' });
      assert.equal(response.status, 200, action);
      assert.equal(response.body.path, `/users/${action}`);
    }
  });

  test('when /api and /api/v1 are used, then both reach the same upstream path', async () => {
    const token = customerToken();
    for (const [path, upstream, expected] of [
      ['/api/v1/users/me', 'user-service', '/users/me'],
      ['/api/users/me', 'user-service', '/users/me'],
      ['/api/v1/products', 'product-service', '/products'],
      ['/api/products/abc?x=1', 'product-service', '/products/abc?x=1'],
      ['/api/v1/orders/o1', 'order-service', '/orders/o1'],
      ['/api/inventory/p1', 'inventory-service', '/inventory/p1'],
    ]) {
      const response = await suite.gateway.api.get(path!, { token });
      assert.equal(response.body.upstream, upstream, path);
      assert.equal(response.body.path, expected, path);
    }
    assert.equal((await suite.gateway.api.get('/api/productsX', { token })).status, 404);
    assert.equal((await suite.gateway.api.get('/api/v2/products', { token })).status, 404);
  });

  test('when a path has dot segments, then the gateway refuses it with 400', async () => {
    const response = await new Promise<number>((resolve, reject) => {
      const url = new URL(suite.gateway.url);
      http
        .get({ host: url.hostname, port: url.port, path: '/api/products/%2e%2e/orders' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    assert.equal(response, 400);
  });

  test('when a request id is sent, then the upstream and the client see the same one; else one is made', async () => {
    const sent = await suite.gateway.api.get('/api/products', {
      headers: { 'x-request-id': 'trace-123' },
    });
    assert.equal(sent.body.headers['x-request-id'], 'trace-123');
    assert.equal(sent.headers.get('x-request-id'), 'trace-123');

    const made = await suite.gateway.api.get('/api/products');
    const id = made.headers.get('x-request-id');
    assert.ok(id && id !== 'trace-123');
    assert.equal(made.body.headers['x-request-id'], id);
  });

  test('when a body is posted, then it reaches the service byte for byte', async () => {
    const body = '{"items": [ {"productId":"p1","quantity":2} ],  "note":"ünïcode"}';
    const response = await suite.gateway.api.post('/api/orders', body, {
      token: customerToken(),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.body, body);
    assert.equal(response.body.headers['content-type'], 'application/json; charset=utf-8');
  });

  test('when a chunked body under the limit arrives in pieces, then every byte reaches the service in order', async () => {
    const pieces = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(90));
    const response = await postChunked({}, (request) => {
      const writeNext = (i: number) => {
        if (i === pieces.length) return void request.end();
        request.write(pieces[i]);
        setTimeout(() => writeNext(i + 1), 5);
      };
      writeNext(0);
    });
    let text = '';
    for await (const chunk of response) text += String(chunk);
    const echoed: string = JSON.parse(text).body;
    assert.equal(echoed, pieces.join(''));
  });

  test('when a body declares more than the limit, then the gateway answers 413 and no service is called', async () => {
    const before = suite.echoes.totalReceived();
    const response = await suite.gateway.api.post('/api/orders', 'x'.repeat(2048), {
      token: customerToken(),
    });
    assert.equal(response.status, 413);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(suite.echoes.totalReceived(), before);
  });

  test('when a chunked body grows past the limit, then the gateway answers 413', async () => {
    const response = await postChunked({ 'content-type': 'application/json' }, (request) => {
      for (let i = 0; i < 8; i++) request.write('y'.repeat(512));
      request.end();
    });
    response.resume();
    const status = response.statusCode;
    assert.equal(status, 413);
    assert.ok(suite.echoes.orders.received.every((seen) => seen.body.length <= 1024));
  });

  test('when an allowed origin calls, then CORS allows it; another origin gets no allowance', async () => {
    const allowed = await suite.gateway.api.get('/api/products', {
      headers: { origin: 'https://shop.example' },
    });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://shop.example');
    assert.match(allowed.headers.get('access-control-expose-headers') ?? '', /X-Request-Id/);
    const other = await suite.gateway.api.get('/api/products', {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(allowed.headers.get('x-content-type-options'), 'nosniff', 'helmet headers');
  });
});
