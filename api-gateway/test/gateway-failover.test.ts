import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDiscovery, type Discovery } from '@shop/registry-client';
import { clientFor, spawnTs, waitFor, waitForExit, waitForOutput } from '@shop/testkit';
// The registry is another workspace of this repository; its test support starts it in-process.
import { startRegistry } from '../../service-registry/test/support';
import { customerToken, silentLogger, startEcho, useEchoes, type Echo } from './support';

const TTL_MS = 300;

describe('gateway across several instances', () => {
  const suite = useEchoes();

  const gatewayOver = (discovery: Discovery, env: Record<string, string> = {}) =>
    suite.startGateway({ env, discovery });

  test('when one of two listed instances refuses connections, then every GET is served by the other and a POST is not resent', async () => {
    const alive = await startEcho('alive');
    const dead = await startEcho('dead');
    suite.onCleanup(alive.close);
    await dead.close();
    const discovery: Discovery = {
      resolve: async (name) => (name === 'order-service' ? [alive.url, dead.url] : []),
    };
    // A high threshold keeps the dead instance in the rotation, so every other request meets it.
    const gateway = await gatewayOver(discovery, { CIRCUIT_FAILURE_THRESHOLD: '1000' });
    const token = customerToken();

    const reads = [];
    for (let i = 0; i < 6; i++) reads.push(await gateway.api.get('/api/orders', { token }));
    const writes = [];
    for (let i = 0; i < 2; i++) {
      writes.push((await gateway.api.post('/api/orders', { items: [] }, { token })).status);
    }

    assert.deepEqual(
      reads.map((read) => read.status),
      [200, 200, 200, 200, 200, 200],
    );
    assert.ok(reads.every((read) => read.body.upstream === 'alive'));
    assert.deepEqual(
      writes.sort(),
      [200, 503],
      'the POST that met the dead instance was not moved',
    );
    assert.equal(alive.received.filter((seen) => seen.method === 'POST').length, 1);
  });

  test('when the only listed instance refuses connections, then a GET gets a 503 problem', async () => {
    const dead = await startEcho('dead');
    await dead.close();
    const gateway = await gatewayOver({
      resolve: async (name) => (name === 'inventory-service' ? [dead.url] : []),
    });
    const answer = await gateway.api.get('/api/inventory/p1', { token: customerToken() });
    assert.equal(answer.status, 503);
    assert.match(answer.body.detail, /inventory-service is unavailable/);
  });

  describe('with the registry', () => {
    let registry: Awaited<ReturnType<typeof startRegistry>>;
    before(async () => {
      registry = await startRegistry({ ttlMs: TTL_MS });
    });
    after(async () => registry.close());

    async function register(port: number): Promise<string> {
      const response = await clientFor(registry.url).post('/register', {
        name: 'product-service',
        host: '127.0.0.1',
        port,
      });
      return response.body.serviceId;
    }

    test('when an instance is SIGKILLed, then GETs keep succeeding and once it drops out of the registry it gets no traffic', async () => {
      const survivor = await startEcho('survivor');
      suite.onCleanup(survivor.close);
      const victim = spawnTs(path.join(__dirname, 'fixtures', 'echo-instance.ts'), {
        INSTANCE_NAME: 'victim',
      });
      const exited = waitForExit(victim, 60_000);
      const victimPort = Number(
        /listening on (\d+)/.exec(await waitForOutput(victim, /listening on \d+/, 30_000))![1],
      );
      const ids = [await register(survivor.port), await register(victimPort)];
      let beating = [...ids];
      const beat = setInterval(() => {
        for (const id of beating) {
          clientFor(registry.url)
            .post(`/heartbeat/${id}`)
            .catch(() => undefined);
        }
      }, 50);
      suite.onCleanup(async () => clearInterval(beat));
      const gateway = await gatewayOver(
        createDiscovery({ registryUrl: registry.url, cacheTtlMs: 50, logger: silentLogger }),
        { CIRCUIT_FAILURE_THRESHOLD: '1000' },
      );

      await waitFor(
        async () => (await gateway.api.get('/api/products')).body.upstream === 'victim',
        { what: 'the victim to serve' },
      );
      victim.kill('SIGKILL');
      await exited;
      beating = [ids[0]!];

      const during = [];
      for (let i = 0; i < 6; i++) during.push((await gateway.api.get('/api/products')).status);
      assert.deepEqual(during, [200, 200, 200, 200, 200, 200], 'GETs moved to the survivor');

      await waitFor(
        async () =>
          (await clientFor(registry.url).get('/services?name=product-service&state=healthy')).body
            .instances.length === 1,
        { what: 'the victim to drop out of the registry' },
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Something new on the victim's old port would see any request still aimed there.
      const ghost = await startEchoOnPort(victimPort);
      suite.onCleanup(ghost.close);
      for (let i = 0; i < 6; i++) {
        assert.equal((await gateway.api.get('/api/products')).body.upstream, 'survivor');
      }
      assert.equal(ghost.received.length, 0, 'nothing went to the dead address');
    });
  });
});

async function startEchoOnPort(port: number): Promise<Echo> {
  const http = await import('node:http');
  const received: Echo['received'] = [];
  const server = http.createServer((req, res) => {
    received.push({
      upstream: 'ghost',
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: '',
    });
    res.end('{"upstream":"ghost"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
