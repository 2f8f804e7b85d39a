import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { clientFor, spawnTs, waitFor, waitForExit, waitForOutput } from '@shop/testkit';
import { REGISTRY_TOKEN } from './support';

const TTL_MS = 1500;
const registryMain = path.resolve(__dirname, '..', 'src', 'main.ts');
const instanceMain = path.resolve(__dirname, 'fixtures', 'registered-instance.ts');
const children: ChildProcess[] = [];

after(async () => {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(
    running.map((child) => {
      const exited = waitForExit(child, 10_000);
      child.kill('SIGKILL');
      return exited;
    }),
  );
});

function spawnChild(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawnTs(entry, env);
  children.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('when a replica is killed with SIGKILL, then it drops out of the registry within the TTL while its sibling stays', async () => {
  const registry = spawnChild(registryMain, {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    REGISTRY_TOKEN,
    REGISTRY_TTL_MS: String(TTL_MS),
  });
  const line = await waitForOutput(registry, /listening on/, 30_000);
  const registryUrl = /listening on (http:\/\/[^"\s]+)/.exec(line)![1]!;
  const api = clientFor(registryUrl);
  const healthy = async () => {
    const listed = await api.get('/services?name=crash-demo&state=healthy', {
      token: REGISTRY_TOKEN,
    });
    assert.equal(listed.status, 200, listed.text);
    return (listed.body.instances as { port: number }[]).map((each) => each.port).sort();
  };

  const [doomed, survivor] = [4101, 4102].map((port) =>
    spawnChild(instanceMain, {
      REGISTRY_URL: registryUrl,
      REGISTRY_TOKEN,
      INSTANCE_NAME: 'crash-demo',
      INSTANCE_PORT: String(port),
    }),
  );
  await Promise.all([doomed, survivor].map((child) => waitForOutput(child!, /registered as/)));
  assert.deepEqual(await healthy(), [4101, 4102]);

  // Two TTLs with both alive: the clients heartbeat as often as this registry's TTL needs, not at
  // their 10 s default.
  await sleep(2 * TTL_MS);
  assert.deepEqual(await healthy(), [4101, 4102], 'live replicas stay healthy');

  const killedAt = Date.now();
  doomed!.kill('SIGKILL');
  await waitFor(async () => (await healthy()).length === 1, {
    what: 'the killed replica to drop out',
    timeoutMs: TTL_MS + 1000,
    intervalMs: 50,
  });
  const goneAfterMs = Date.now() - killedAt;
  assert.ok(goneAfterMs <= TTL_MS + 1000, `gone after ${goneAfterMs} ms`);
  assert.deepEqual(await healthy(), [4102]);
  for (let i = 0; i < 4; i++) {
    const found = await api.get('/discover/crash-demo', { token: REGISTRY_TOKEN });
    assert.equal(found.body.port, 4102, 'discovery hands out only the survivor');
  }
});
