import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, parsePrometheusText, startTestServer } from '@shop/testkit';
import { z } from 'zod';
import { ConflictError, parseInput, type RunningServer } from '../src';
import { testApp } from './support';

describe('service app skeleton', () => {
  let server: RunningServer;
  let readyFlag = true;

  before(async () => {
    const app = testApp({
      bodyLimit: '1kb',
      readiness: {
        database: () => {
          if (!readyFlag) throw new Error('down');
        },
      },
      routes: (app) => {
        app.post('/things', (req, res) => {
          const body = parseInput(
            z.object({ name: z.string().min(1), count: z.number().int() }),
            req.body,
            'body',
          );
          res.status(201).json(body);
        });
        app.get('/things/:id', (req, res) => {
          if (req.params.id === 'taken') throw ConflictError('That thing is taken');
          res.json({ id: req.params.id });
        });
        app.get('/boom', async () => {
          throw new Error('secret internals at /srv/app.ts:12');
        });
      },
    });
    server = await startTestServer(app);
  });

  after(() => server.close());

  test('when a route does not exist, then the answer is a 404 problem with the request id', async () => {
    const { status, headers, body } = await call(server.url, 'GET', '/nowhere');
    assert.equal(status, 404);
    assert.match(headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(body.status, 404);
    assert.equal(body.title, 'Not found');
    assert.equal(body.type, '/problems/not-found');
    assert.equal(body.requestId, headers.get('x-request-id'));
    assert.ok(body.requestId.length > 0);
  });

  test('when the caller sends a sane X-Request-Id, then it is echoed; an unsafe one is replaced', async () => {
    const kept = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'trace-42' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-42');
    const replaced = await fetch(`${server.url}/health`, {
      headers: { 'x-request-id': 'bad id <script>' },
    });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('when a body fails its schema, then each bad field is listed in a 400 problem', async () => {
    const { status, body } = await call(server.url, 'POST', '/things', {
      body: { name: '', count: 1.5 },
    });
    assert.equal(status, 400);
    assert.deepEqual(body.errors.map((e: { path: string }) => e.path).sort(), ['count', 'name']);
  });

  test('when the body is not JSON, then the answer is a 400 problem, not a 500', async () => {
    const { status, body } = await call(server.url, 'POST', '/things', { body: '{"name":' });
    assert.equal(status, 400);
    assert.equal(body.detail, 'The request body is not valid JSON');
  });

  test('when the body is not declared as JSON, then the answer is a 415 problem naming the Content-Type', async () => {
    const { status, body } = await call(server.url, 'POST', '/things', {
      body: 'name=a&count=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(status, 415);
    assert.match(body.detail, /Content-Type: application\/json/);
    const json = await call(server.url, 'POST', '/things', {
      body: { name: 'a', count: 1 },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(json.status, 201);
  });

  test('when the body exceeds the limit, then the answer is a 413 problem', async () => {
    const response = await fetch(`${server.url}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(5000), count: 1 }),
    });
    assert.equal(response.status, 413);
    assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
  });

  test('when a handler throws an AppError, then its kind decides the status', async () => {
    const { status, body } = await call(server.url, 'GET', '/things/taken');
    assert.equal(status, 409);
    assert.equal(body.detail, 'That thing is taken');
  });

  test('when a handler fails unexpectedly, then the client gets a 500 problem with no internals', async () => {
    const response = await fetch(`${server.url}/boom`);
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.doesNotMatch(text, /secret internals|\.ts:|at /);
    assert.equal(JSON.parse(text).title, 'Internal server error');
  });

  test('when a dependency is down, then /ready is 503 and /health stays 200', async () => {
    readyFlag = false;
    try {
      const ready = await call(server.url, 'GET', '/ready');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body.checks, { database: 'down' });
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
    } finally {
      readyFlag = true;
    }
    assert.equal((await fetch(`${server.url}/ready`)).status, 200);
  });

  test('when requests were served, then /metrics labels them by route pattern, never the raw path', async () => {
    await fetch(`${server.url}/things/abc-123`);
    await fetch(`${server.url}/things/def-456`);
    const response = await fetch(`${server.url}/metrics`);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const metrics = parsePrometheusText(await response.text());
    assert.equal(metrics.types.get('http_request_duration_seconds'), 'histogram');
    assert.equal(metrics.types.get('http_requests_total'), 'counter');
    const counted = metrics.samples.find(
      (s) =>
        s.name === 'http_requests_total' &&
        s.labels.includes('route="/things/:id"') &&
        s.labels.includes('status_code="200"'),
    );
    assert.equal(counted?.value, 2);
    assert.ok(!metrics.samples.some((s) => s.labels.includes('abc-123')));
    assert.ok(metrics.samples.some((s) => s.name === 'process_cpu_user_seconds_total'));
  });
});
