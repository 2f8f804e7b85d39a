import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { call, spawnService, waitForExit, whileServiceRuns } from '@shop/testkit';
import { REGISTRY_TOKEN } from './support';

const main = path.resolve(__dirname, '..', 'src', 'main.ts');
/** Starts main.ts, waits until it listens, hands the URL and its stdout so far to `check`, stops it. */
async function whileRunning(
  env: Record<string, string>,
  check: (url: string, stdout: () => string) => Promise<void>,
) {
  await whileServiceRuns(main, env, (service) => check(service.url, service.stdout), {
    listenMs: 20_000,
    lifetimeMs: 30_000,
  });
}

const openWarnings = (stdout: string) =>
  stdout.split('\n').filter((line) => /REGISTRY_TOKEN is unset/.test(line));

describe('service-registry start-up (main.ts as a process)', () => {
  test('when NODE_ENV=production and REGISTRY_TOKEN is unset, then it refuses to start with one line naming it', async () => {
    const result = await waitForExit(spawnService(main, { NODE_ENV: 'production' }));
    assert.notEqual(result.code, 0);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^Invalid configuration: REGISTRY_TOKEN is required/);
    assert.equal(result.stdout, '', 'it never started listening');
  });

  test('when REGISTRY_TOKEN is shorter than 32 characters, then it refuses to start and names it', async () => {
    const result = await waitForExit(
      spawnService(main, { NODE_ENV: 'production', REGISTRY_TOKEN: 'too-short' }),
    );
    assert.notEqual(result.code, 0);
    assert.match(result.stderr.trim(), /^Invalid configuration: REGISTRY_TOKEN is invalid/);
  });

  test('when NODE_ENV=production and REGISTRY_TOKEN is set, then it starts without warning and guards its routes', async () => {
    await whileRunning({ NODE_ENV: 'production', REGISTRY_TOKEN }, async (url, stdout) => {
      const body = { name: 'order-service', host: '10.4.0.1', port: 3002 };
      assert.equal((await call(url, 'POST', '/register', { body })).status, 401);
      assert.equal((await call(url, 'GET', '/services')).status, 401);
      assert.equal(
        (await call(url, 'POST', '/register', { body, token: REGISTRY_TOKEN })).status,
        201,
      );
      const listed = await call(url, 'GET', '/services', { token: REGISTRY_TOKEN });
      assert.equal(listed.body.instances.length, 1);
      assert.deepEqual(openWarnings(stdout()), []);
    });
  });

  test('when NODE_ENV=production and REGISTRY_ALLOW_ANONYMOUS=true, then it starts open and warns once', async () => {
    await whileRunning(
      { NODE_ENV: 'production', REGISTRY_ALLOW_ANONYMOUS: 'true' },
      async (url, stdout) => {
        assert.equal((await call(url, 'GET', '/services')).status, 200);
        const warnings = openWarnings(stdout());
        assert.equal(warnings.length, 1, stdout());
        assert.equal(JSON.parse(warnings[0]!).level, 'warn');
      },
    );
  });

  test('when NODE_ENV=development and REGISTRY_TOKEN is unset, then it starts open and warns once', async () => {
    await whileRunning({ NODE_ENV: 'development' }, async (url, stdout) => {
      const body = { name: 'order-service', host: '127.0.0.1', port: 3002 };
      assert.equal((await call(url, 'POST', '/register', { body })).status, 201);
      assert.equal(openWarnings(stdout()).length, 1, stdout());
    });
  });
});
