import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { baseConfig, ConfigError, connectionUrl, flag, loadConfig, password, secret } from '../src';

const schema = z.object({
  ...baseConfig(3001),
  DATABASE_URL: z.url(),
  JWT_SECRET: z.string().min(32),
});

test('when a required variable is missing, then the error is one line naming it', () => {
  assert.throws(
    () => loadConfig(schema, { JWT_SECRET: 'x'.repeat(32) }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === 'Invalid configuration: DATABASE_URL is required' &&
      !error.message.includes('\n'),
  );
});

test('when a variable is malformed, then the error names it and says why', () => {
  assert.throws(
    () =>
      loadConfig(schema, { DATABASE_URL: 'not a url', JWT_SECRET: 'x'.repeat(32), PORT: 'eighty' }),
    /PORT is invalid .*; DATABASE_URL is invalid|DATABASE_URL is invalid .*PORT is invalid/,
  );
});

test('when the environment is complete, then values are typed and defaults fill the rest', () => {
  const config = loadConfig(schema, {
    DATABASE_URL: 'postgres://localhost/users',
    JWT_SECRET: 'x'.repeat(32),
    PORT: '4000',
  });
  assert.equal(config.PORT, 4000);
  assert.equal(config.LOG_LEVEL, 'info');
  assert.equal(config.NODE_ENV, 'production');
});

test('when a secret is unset, then its development default applies only in development', () => {
  const developmentDefaults = {
    JWT_SECRET: 'd'.repeat(32),
    DATABASE_URL: 'postgres://localhost/x',
  };
  const dev = loadConfig(schema, { NODE_ENV: 'development' }, { developmentDefaults });
  assert.equal(dev.JWT_SECRET, 'd'.repeat(32));
  assert.throws(
    () => loadConfig(schema, { NODE_ENV: 'production' }, { developmentDefaults }),
    /DATABASE_URL is required; JWT_SECRET is required/,
  );
});

test('when a variable is set to the empty string, then it counts as unset', () => {
  assert.throws(
    () => loadConfig(schema, { DATABASE_URL: '', JWT_SECRET: 'x'.repeat(32) }),
    /DATABASE_URL is required/,
  );
});

test('when a secret is a placeholder of .env.example or the Kubernetes template, then the service refuses to start with it', () => {
  const withSecret = z.object({ JWT_SECRET: secret() });
  for (const placeholder of [
    'change-me-0123456789abcdef0123456789abcdef',
    'replace-with-64-random-hex-characters-000000000000000000000000',
  ]) {
    assert.throws(
      () => loadConfig(withSecret, { JWT_SECRET: placeholder }),
      /JWT_SECRET is invalid \(is a placeholder \(change-me, replace-with-\.\.\., replace-me\); generate a real secret\)/,
    );
  }
  assert.equal(loadConfig(withSecret, { JWT_SECRET: 'a'.repeat(40) }).JWT_SECRET, 'a'.repeat(40));
});

test('when a password or a connection URL holds a placeholder of .env.example or the Kubernetes template, then the service refuses to start with it', () => {
  const withCredentials = z.object({
    ADMIN_PASSWORD: password(8),
    DATABASE_URL: connectionUrl(),
  });
  const real = {
    ADMIN_PASSWORD: 'x7Kp2qLm9w',
    DATABASE_URL: 'postgres://shop:s3cret@db:5432/users',
  };
  assert.deepEqual(loadConfig(withCredentials, real), real);
  assert.equal(
    loadConfig(withCredentials, { ...real, DATABASE_URL: 'postgres://postgres@127.0.0.1/users' })
      .DATABASE_URL,
    'postgres://postgres@127.0.0.1/users',
    'a URL without a password is not a placeholder',
  );
  for (const placeholder of ['changeMeAdmin', 'replace-me']) {
    assert.throws(
      () => loadConfig(withCredentials, { ...real, ADMIN_PASSWORD: placeholder }),
      /^ConfigError: Invalid configuration: ADMIN_PASSWORD is invalid \(is a placeholder .*; choose a real password\)$/,
    );
  }
  for (const url of [
    'postgres://shop:changeMePostgres@postgres:5432/users',
    'amqps://shop:replace-me@rabbitmq.example.internal:5671',
    'rediss://default:replace%2Dme@redis.example.internal:6380',
  ]) {
    assert.throws(
      () => loadConfig(withCredentials, { ...real, DATABASE_URL: url }),
      /DATABASE_URL is invalid \(its password is a placeholder .*; put the real one in\)/,
      url,
    );
  }
});

test("when a switch is unset, 'true' or 'false', then it reads as a boolean, and any other value is refused", () => {
  const switches = z.object({ SWITCH: flag() });
  assert.equal(loadConfig(switches, {}).SWITCH, false);
  assert.equal(loadConfig(switches, { SWITCH: 'true' }).SWITCH, true);
  assert.equal(loadConfig(switches, { SWITCH: 'false' }).SWITCH, false);
  assert.throws(() => loadConfig(switches, { SWITCH: 'yes' }), /SWITCH is invalid/);
});
