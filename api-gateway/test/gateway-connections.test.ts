import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import {
  customerToken,
  startEcho,
  startGateway,
  upstreamEnv,
  useEchoes,
  type GatewayUnderTest,
} from './support';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Whether the client sent this request on a connection it had used before. */
  reused: boolean;
}

function send(
  url: string,
  options: { method?: string; path: string; headers?: http.OutgoingHttpHeaders; body?: string },
  agent?: http.Agent,
): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        ...(agent ? { agent } : {}),
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            reused: request.reusedSocket,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/**
 * An upstream that counts the connections it accepts and, when `killReused` is set, destroys a
 * connection the moment a second request arrives on it: the race of a kept-alive socket that the
 * service closes just as the gateway reuses it, made certain.
 */
async function startCountingUpstream(options: { killReused?: boolean } = {}) {
  const arrivals: string[] = [];
  const requestsOn = new Map<Socket, number>();
  let connections = 0;
  const server = http.createServer((req, res) => {
    const seen = requestsOn.get(req.socket) ?? 0;
    requestsOn.set(req.socket, seen + 1);
    arrivals.push(req.method ?? '');
    if (options.killReused && seen >= 1) {
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method }));
    });
  });
  server.on('connection', () => (connections += 1));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('gateway connections', () => {
  const suite = useEchoes();

  const gatewayFor = (productServiceUrl: string): Promise<GatewayUnderTest> =>
    suite.startGateway({ env: { PRODUCT_SERVICE_URL: productServiceUrl } });

  test('when a client sends two requests in a row, then both use one client connection and one upstream connection', async () => {
    const upstream = await startCountingUpstream();
    suite.onCleanup(upstream.close);
    const gateway = await gatewayFor(upstream.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    suite.onCleanup(async () => agent.destroy());

    const first = await send(gateway.url, { path: '/api/products/1' }, agent);
    const second = await send(gateway.url, { path: '/api/products/2' }, agent);

    assert.deepEqual([first.status, second.status], [200, 200]);
    assert.equal(first.headers.connection, 'keep-alive');
    assert.equal(second.reused, true, 'the second request went over the first connection');
    assert.equal(upstream.connections(), 1, 'the upstream saw one connection for both');
    assert.deepEqual(upstream.arrivals, ['GET', 'GET']);
  });

  test('when a client asks for Connection: close, then the gateway closes after answering', async () => {
    const gateway = await gatewayFor(suite.echoes.products.url);
    const answer = await send(gateway.url, {
      path: '/api/products',
      headers: { connection: 'close' },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.connection, 'close');
  });

  test('when a client sends hop-by-hop headers, then the service sees none of them', async () => {
    const gateway = await gatewayFor(suite.echoes.products.url);
    const answer = await send(gateway.url, {
      path: '/api/products',
      headers: {
        connection: 'keep-alive, x-hop-secret',
        'x-hop-secret': 'for the gateway only',
        'keep-alive': 'timeout=30',
        te: 'trailers',
        'proxy-authorization': 'Basic c2VjcmV0',
        'x-end-to-end': 'kept',
      },
    });
    assert.equal(answer.status, 200);
    const seen = (JSON.parse(answer.body) as { headers: Record<string, string> }).headers;
    for (const name of ['x-hop-secret', 'keep-alive', 'te', 'proxy-authorization']) {
      assert.equal(seen[name], undefined, `${name} reached the service`);
    }
    assert.notEqual(seen.connection, 'keep-alive, x-hop-secret');
    assert.equal(seen['x-end-to-end'], 'kept');
  });

  test('when a service answers with hop-by-hop headers, then the client sees none of them', async () => {
    const server = http.createServer((_req, res) => {
      res.setHeader('connection', 'x-hop-internal');
      res.setHeader('x-hop-internal', 'for the gateway only');
      res.setHeader('keep-alive', 'timeout=5, max=7');
      res.setHeader('proxy-authenticate', 'Basic');
      res.setHeader('x-end-to-end', 'kept');
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    suite.onCleanup(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const gateway = await gatewayFor(
      `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    );

    const answer = await send(gateway.url, { path: '/api/products' });

    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-hop-internal'], undefined);
    assert.equal(answer.headers['proxy-authenticate'], undefined);
    assert.notEqual(answer.headers['keep-alive'], 'timeout=5, max=7');
    assert.equal(answer.headers.connection, 'keep-alive');
    assert.equal(answer.headers['x-end-to-end'], 'kept');
  });

  test('when the service has closed the kept-alive socket a GET is sent on, then the GET is retried on a new connection and succeeds', async () => {
    const upstream = await startCountingUpstream({ killReused: true });
    suite.onCleanup(upstream.close);
    const gateway = await gatewayFor(upstream.url);

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await gateway.api.get('/api/products/1')).status);

    assert.deepEqual(statuses, [200, 200, 200, 200]);
    assert.ok(upstream.connections() > 1, 'the dead sockets were replaced');
  });

  test('when a POST is sent on a socket the service has closed, then it is answered 503 and not sent again', async () => {
    const upstream = await startCountingUpstream({ killReused: true });
    suite.onCleanup(upstream.close);
    const gateway = await startGateway({
      env: { ...upstreamEnv(suite.echoes), ORDER_SERVICE_URL: upstream.url },
    });
    suite.onCleanup(gateway.close);
    const token = customerToken();

    assert.equal((await gateway.api.get('/api/orders', { token })).status, 200);
    const posted = await gateway.api.post('/api/orders', { items: [] }, { token });

    assert.ok([502, 503].includes(posted.status), `answered ${posted.status}`);
    assert.match(posted.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.deepEqual(upstream.arrivals, ['GET', 'POST'], 'the POST reached the service once');
  });

  test('when an upstream stops, then the gateway answers 503 and keeps serving other routes', async () => {
    const gone = await startEcho('product-service');
    const gateway = await gatewayFor(gone.url);
    assert.equal((await gateway.api.get('/api/products')).status, 200);
    await gone.close();

    const answer = await gateway.api.get('/api/products');

    assert.equal(answer.status, 503);
    assert.equal((await gateway.api.get('/api/orders', { token: customerToken() })).status, 200);
  });
});
