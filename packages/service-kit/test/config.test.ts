import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { baseConfig, ConfigError, loadConfig, secret } from '../src';

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
      /JWT_SECRET is invalid \(is a placeholder \(change-me, replace-with-\.\.\.\); generate a real secret\)/,
    );
  }
  assert.equal(loadConfig(withSecret, { JWT_SECRET: 'a'.repeat(40) }).JWT_SECRET, 'a'.repeat(40));
});
