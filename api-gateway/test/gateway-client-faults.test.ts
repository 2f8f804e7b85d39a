import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, test } from 'node:test';
import { waitFor } from '@shop/testkit';
import { startGateway, upstreamEnv, useGateway } from './support';

const LOGIN = '/api/users/login';
const CREDENTIALS = JSON.stringify({ email: 'a@shop.example', password: 'correct-horse-9' });

/**
 * Opens a raw connection, sends a login's headers and half its body, then either stalls (and
 * returns what the gateway answers) or hangs up.
 */
function halfUpload(url: string, then: 'stall' | 'hang-up'): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.on('connect', () => {
      socket.write(
        `POST ${LOGIN} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${CREDENTIALS.length}\r\n\r\n${CREDENTIALS.slice(0, 10)}`,
      );
      if (then === 'hang-up') setTimeout(() => socket.destroy(), 100);
    });
  });
}

describe('gateway when clients misbehave', () => {
  const suite = useGateway({
    CIRCUIT_FAILURE_THRESHOLD: '5',
    CIRCUIT_RESET_MS: '60000',
    REQUEST_BODY_TIMEOUT_MS: '300',
    UPSTREAM_TIMEOUT_MS: '10000',
  });

  test('when six anonymous logins stall halfway through their body, then each gets 408 and the circuit stays closed', async () => {
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => halfUpload(suite.gateway.url, 'stall')),
    );

    for (const answer of answers) {
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /application\/problem\+json/);
      assert.match(answer, /did not arrive within 300 ms/);
    }
    assert.ok(
      Date.now() - started < 8000,
      'answered at the body deadline, not the upstream timeout',
    );
    assert.equal(
      suite.echoes.users.received.length,
      0,
      'no half body was passed on as a whole one',
    );

    const login = await suite.gateway.api.post(LOGIN, JSON.parse(CREDENTIALS));
    assert.equal(login.status, 200, 'valid logins still reach user-service');
    assert.equal(suite.echoes.users.received.at(-1)?.body, CREDENTIALS);
  });

  test('when six clients hang up in the middle of their upload, then the circuit stays closed and logins work', async () => {
    await Promise.all(Array.from({ length: 6 }, () => halfUpload(suite.gateway.url, 'hang-up')));

    for (let i = 0; i < 3; i++) {
      assert.equal((await suite.gateway.api.post(LOGIN, JSON.parse(CREDENTIALS))).status, 200);
    }
  });

  test('when a client stalls its upload, then the 408 is counted as the client status, not an upstream failure', async () => {
    await halfUpload(suite.gateway.url, 'stall');
    const metrics = (await suite.gateway.api.get('/metrics')).text;
    assert.match(metrics, /gateway_upstream_requests_total\{[^}]*status_code="408"[^}]*\} [1-9]/);
    assert.doesNotMatch(metrics, /gateway_upstream_requests_total\{[^}]*status_code="50[34]"/);
  });

  test('when six clients hang up while an answer streams back to them, then the circuit stays closed', async () => {
    // Headers and a first chunk at once, the rest later: each client leaves in between.
    let ended = 0;
    const slowBody = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items":[');
      const rest = setTimeout(() => res.end(']}'), req.url?.includes('quick') ? 0 : 200);
      res.on('close', () => {
        clearTimeout(rest);
        ended += 1;
      });
    });
    await new Promise<void>((resolve) => slowBody.listen(0, '127.0.0.1', resolve));
    const streamingGateway = await startGateway({
      env: {
        ...upstreamEnv(suite.echoes),
        PRODUCT_SERVICE_URL: `http://127.0.0.1:${(slowBody.address() as { port: number }).port}`,
        CIRCUIT_FAILURE_THRESHOLD: '5',
        CIRCUIT_RESET_MS: '60000',
      },
    });
    try {
      // All six have their headers before any leaves: six failures in a row, were they counted.
      const requests = await Promise.all(
        Array.from(
          { length: 6 },
          () =>
            new Promise<http.ClientRequest>((resolve, reject) => {
              const request = http.get(`${streamingGateway.url}/api/products`, (response) => {
                assert.equal(response.statusCode, 200);
                response.once('data', () => resolve(request));
              });
              request.on('error', (error) => {
                if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
              });
            }),
        ),
      );
      for (const request of requests) request.destroy();
      // The gateway learns of each hang-up when it next writes, once the upstream's rest arrives.
      await waitFor(() => ended === 6, { what: 'the six upstream answers to end' });
      await new Promise((resolve) => setTimeout(resolve, 100));

      const after = await streamingGateway.api.get('/api/products?quick=1');
      assert.equal(after.status, 200, after.text);
      assert.equal(after.text, '{"items":[]}');
    } finally {
      await streamingGateway.close();
      slowBody.closeAllConnections();
      await new Promise((resolve) => slowBody.close(resolve));
    }
  });

  test('when a client hangs up while an endless answer streams to it, then the gateway stops reading it from the service', async () => {
    let cut: boolean | undefined;
    const endless = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const tick = setInterval(() => res.write('more\n'), 20);
      res.on('close', () => {
        clearInterval(tick);
        cut = !res.writableFinished;
      });
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    const streamingGateway = await startGateway({
      env: {
        ...upstreamEnv(suite.echoes),
        PRODUCT_SERVICE_URL: `http://127.0.0.1:${(endless.address() as { port: number }).port}`,
      },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const request = http.get(`${streamingGateway.url}/api/products`, (response) => {
          response.once('data', () => {
            request.destroy();
            resolve();
          });
        });
        request.on('error', (error) => {
          if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
        });
      });
      await waitFor(() => cut !== undefined, {
        what: "the service's answer to be cut",
        timeoutMs: 5000,
      });
      assert.equal(cut, true);
    } finally {
      // First, or a gateway still reading the endless answer would never finish draining.
      endless.closeAllConnections();
      await streamingGateway.close();
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  test('when a service answers before the client has sent its whole body, then the client gets the answer and the connection closes', async () => {
    const early = http.createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/problem+json' });
      res.end('{"status":401}');
    });
    await new Promise<void>((resolve) => early.listen(0, '127.0.0.1', resolve));
    const earlyGateway = await startGateway({
      env: {
        ...upstreamEnv(suite.echoes),
        USER_SERVICE_URL: `http://127.0.0.1:${(early.address() as { port: number }).port}`,
        REQUEST_BODY_TIMEOUT_MS: '20000',
      },
    });
    try {
      const started = Date.now();
      const answer = await halfUpload(earlyGateway.url, 'stall');
      assert.match(answer, /^HTTP\/1\.1 401 /);
      assert.match(answer, /connection: close/i);
      assert.ok(Date.now() - started < 15_000, 'closed at once, not at the body deadline');
    } finally {
      await earlyGateway.close();
      early.closeAllConnections();
      await new Promise((resolve) => early.close(resolve));
    }
  });
});
