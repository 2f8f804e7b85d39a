import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { testServers, waitForExit } from '@shop/testkit';
import { freePort, isPortFree } from '../system/ports';
import { localDependencies, unreachableDependencies } from '../system/preflight';
import { SERVICES } from '../system/services';

// `npm start` as a user runs it. Each case stops before any service starts, so nothing touches
// the shared servers beyond the preflight's connection checks.
const start = path.resolve(__dirname, '..', 'start.ts');
const servers = {
  POSTGRES_URL: testServers.postgresUrl,
  REDIS_URL: testServers.redisUrl,
  RABBITMQ_URL: testServers.rabbitmqUrl,
};

function npmStart(args: string[], env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', start, ...args],
    { env: { PATH: process.env.PATH, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return waitForExit(child, 60_000);
}

/** An offset under which every port of the shop is free right now. */
async function freeOffset(): Promise<number> {
  for (;;) {
    const offset = 20_000 + Math.floor(Math.random() * 20_000);
    const free = await Promise.all(
      SERVICES.map(({ port }) => isPortFree(port + offset, '127.0.0.1')),
    );
    if (free.every(Boolean)) return offset;
  }
}

test('when a port of this copy is taken, then npm start stops with one line naming the port and what holds it', async () => {
  const offset = await freeOffset();
  // It hangs up on whoever connects: the launcher's probe of what it is gets no answer.
  const squatter = net.createServer((socket) => socket.destroy());
  // The gateway's port under this offset: the registry's (checked first) is free, so the check
  // goes on past it, as a second copy sharing only some ports would.
  await new Promise<void>((resolve) => squatter.listen(3000 + offset, '127.0.0.1', resolve));
  try {
    const result = await npmStart(['--port-offset', String(offset)], servers);
    assert.equal(result.code, 1);
    assert.doesNotMatch(result.stdout, /ready/, 'nothing started');
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0]!,
      new RegExp(
        `^npm start: port ${3000 + offset} \\(for api-gateway\\) is taken by node \\(pid ${process.pid}\\): ` +
          'stop it, or move this copy with `npm start -- --port-offset 100`$',
      ),
    );
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});

test('when a dependency does not answer, then npm start names it with start hints and exits', async () => {
  const closed = await freePort();
  const result = await npmStart([], { ...servers, REDIS_URL: `redis://127.0.0.1:${closed}` });
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, new RegExp(`^Redis is not reachable at 127.0.0.1:${closed}\\.`));
  assert.match(result.stderr, /Debian\/Ubuntu: sudo apt-get install -y redis-server/);
  assert.match(result.stderr, new RegExp(`docker run -d --name shop-redis -p ${closed}:6379`));
  assert.doesNotMatch(result.stderr, /PostgreSQL|RabbitMQ/, 'the others answer');
});

test('when a dependency URL names no port, then the preflight checks the default port', async () => {
  // The shared Postgres answers on 5432, the default: a URL without the port must find it.
  const withoutPort = testServers.postgresUrl.replace(/:5432(?=\/)/, '');
  assert.notEqual(withoutPort, testServers.postgresUrl, 'the shared server is on the default port');
  const dependencies = localDependencies({
    postgres: withoutPort,
    redis: testServers.redisUrl,
    rabbitmq: testServers.rabbitmqUrl,
  });
  assert.deepEqual(await unreachableDependencies(dependencies), []);
});
