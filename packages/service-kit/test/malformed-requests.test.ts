import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { call, startTestServer } from '@shop/testkit';
import type { RunningServer } from '../src';
import { testApp } from './support';

const JSON_BODY = Buffer.from(JSON.stringify({ name: 'lamp' }));

function assertProblem(response: Awaited<ReturnType<typeof call>>, status: number) {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(response.body.status, status);
  assert.equal(response.body.requestId, response.headers.get('x-request-id'));
}

async function post(server: RunningServer, body: Buffer, encoding: string) {
  const response = await fetch(`${server.url}/things`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': encoding },
    body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

describe('malformed requests', () => {
  let server: RunningServer;

  before(async () => {
    const app = testApp({
      bodyLimit: '1kb',
      routes: (app) => {
        app.get('/things/:id', (req, res) => res.json({ id: req.params.id }));
        app.post('/things', (req, res) => res.status(201).json(req.body));
      },
    });
    server = await startTestServer(app);
  });

  after(() => server.close());

  for (const path of ['/things/%ff', '/things/%E0%A4%A', '/things/%']) {
    test(`when a path parameter is malformed percent-encoding (${path}), then 400 problem details`, async () => {
      const response = await call(server.url, 'GET', path);
      assertProblem(response, 400);
      assert.equal(response.body.type, '/problems/bad-request');
      assert.equal(response.body.detail, 'The path contains malformed percent-encoding');
    });
  }

  for (const [encoding, compress] of [
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const) {
    test(`when a ${encoding} body decodes, then the route reads it as JSON`, async () => {
      const response = await post(server, compress(JSON_BODY), encoding);
      assert.equal(response.status, 201);
      assert.deepEqual(response.body, { name: 'lamp' });
    });

    test(`when a ${encoding} body is corrupt, then 400 problem details, not 500`, async () => {
      const corrupt = Buffer.from(compress(JSON_BODY));
      corrupt.fill(0x41, 2, 10);
      const response = await post(server, corrupt, encoding);
      assertProblem(response, 400);
      assert.equal(
        response.body.detail,
        'The request body could not be decompressed as its Content-Encoding says',
      );
    });

    test(`when a ${encoding} body inflates past the limit, then 413 (the cap is on the decoded size)`, async () => {
      const bomb = compress(Buffer.from(JSON.stringify({ name: 'x'.repeat(1_000_000) })));
      assert.ok(bomb.length < 1024, 'the compressed body itself is under the limit');
      const response = await post(server, bomb, encoding);
      assertProblem(response, 413);
    });
  }

  test('when the body is plain data that claims to be gzip, then 400 problem details', async () => {
    const response = await post(server, JSON_BODY, 'gzip');
    assertProblem(response, 400);
  });

  test('when Content-Encoding is one the service does not decode, then 415 naming the ones it does', async () => {
    const response = await post(server, JSON_BODY, 'compress');
    assertProblem(response, 415);
    assert.equal(response.body.detail, 'Content-Encoding must be identity, gzip, deflate or br');
  });

  test('when the JSON charset is not one the parser knows, then 415 problem details', async () => {
    const response = await call(server.url, 'POST', '/things', {
      body: JSON_BODY.toString(),
      headers: { 'content-type': 'application/json; charset=klingon' },
    });
    assertProblem(response, 415);
  });
});
