import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '@shop/service-kit';
import { configSchema } from '../src/config';
import { accountSettingsFrom } from '../src/config';

const required = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/users',
  JWT_SECRET: 'a-production-secret-that-is-long-enough-0123',
  ORDER_SERVICE_URL: 'http://order-service:3002',
  RABBITMQ_URL: 'amqp://guest:guest@rabbitmq:5672',
  REDIS_URL: 'redis://redis:6379',
};

test('when only the required variables are set, then tokens and login limits get safe defaults', () => {
  const settings = accountSettingsFrom(loadConfig(configSchema, required));
  assert.equal(settings.accessTokenTtlSeconds, 900);
  assert.equal(settings.refreshTokenTtlMs, 30 * 86_400_000);
  assert.deepEqual(settings.loginLimits.account, {
    maxFailures: 5,
    windowMs: 900_000,
    backoffBaseMs: 30_000,
    backoffMaxMs: 900_000,
  });
  assert.equal(settings.loginLimits.ip.maxFailures, 50);
  assert.deepEqual(settings.passwordHashing, { N: 32768, r: 8, p: 3 });
});

test('when ADMIN_EMAIL is set without ADMIN_PASSWORD, then the configuration names the missing one', () => {
  assert.throws(
    () => loadConfig(configSchema, { ...required, ADMIN_EMAIL: 'admin@example.com' }),
    /ADMIN_PASSWORD is required/,
  );
  assert.throws(
    () => loadConfig(configSchema, { ...required, ADMIN_PASSWORD: 'Admin-Secret-1' }),
    /ADMIN_EMAIL is required/,
  );
});

test('when a limit is not a positive number, then the configuration names it', () => {
  assert.throws(
    () => loadConfig(configSchema, { ...required, LOGIN_MAX_FAILURES: 'many' }),
    /LOGIN_MAX_FAILURES is invalid/,
  );
});
