import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestServer } from '@shop/testkit';
import type { RunningServer } from '../src';
import { testApp } from './support';

/** Writes raw bytes and reads until the server closes: these requests never reach Express. */
function rawExchange(server: RunningServer, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.write(request);
  });
}

function parse(raw: string) {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { statusLine, headers, body: JSON.parse(body) as Record<string, unknown> };
}

describe('requests Node cannot parse', () => {
  let server: RunningServer;

  before(async () => {
    server = await startTestServer(testApp({ routes: () => undefined }));
  });

  after(() => server.close());

  test('when the headers exceed 16 KB, then 431 problem details with a request id', async () => {
    const raw = await rawExchange(
      server,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    );
    const { statusLine, headers, body } = parse(raw);
    assert.equal(statusLine, 'HTTP/1.1 431 Request Header Fields Too Large');
    assert.match(headers['content-type'] ?? '', /^application\/problem\+json/);
    assert.equal(body.status, 431);
    assert.equal(body.type, '/problems/headers-too-large');
    assert.equal(body.requestId, headers['x-request-id']);
  });

  test('when a header line is malformed, then 400 problem details', async () => {
    const raw = await rawExchange(
      server,
      'GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n',
    );
    const { statusLine, headers, body } = parse(raw);
    assert.equal(statusLine, 'HTTP/1.1 400 Bad Request');
    assert.match(headers['content-type'] ?? '', /^application\/problem\+json/);
    assert.equal(body.type, '/problems/bad-request');
    assert.equal(body.detail, 'The request is not valid HTTP/1.1');
  });

  test('when the request line is garbage, then 400 problem details and the server keeps serving', async () => {
    const raw = await rawExchange(server, '\u0001\u0002 nonsense\r\n\r\n');
    assert.equal(parse(raw).body.status, 400);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
  });
});
