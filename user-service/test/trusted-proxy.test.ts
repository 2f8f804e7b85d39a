import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { newCustomer, testSettings, useUserService } from './support';

// The per-address limit is the one a spoofed address would dodge; the per-account one stays out of the way.
const ip = { maxFailures: 3, windowMs: 30_000, backoffBaseMs: 5000, backoffMaxMs: 5000 };
const account = { maxFailures: 1000, windowMs: 30_000, backoffBaseMs: 1000, backoffMaxMs: 1000 };

// TRUST_PROXY=1: the hop in front (the gateway) is believed, nothing it was told.
const users = useUserService(() => ({
  settings: testSettings({ loginLimits: { account, ip } }),
  trustProxy: 1,
}));

const privateAddress = () => `10.${randomBytes(3).join('.')}`;

test('when a client prepends private addresses of its choice to X-Forwarded-For, then it is still counted as the address the gateway saw', async () => {
  // What the gateway appended: the one entry user-service believes.
  const seenByGateway = privateAddress();
  const attempt = () =>
    users.service.http.post(
      '/users/login',
      { email: newCustomer().email, password: 'Wrong-Guess-1' },
      { headers: { 'x-forwarded-for': `${privateAddress()}, ${seenByGateway}` } },
    );
  for (let i = 0; i < ip.maxFailures; i++) assert.equal((await attempt()).status, 401);

  const blocked = await attempt();

  assert.equal(blocked.status, 429, 'a fresh spoofed address did not reset the count');
  const { rows } = await users.database.pool.query<{ key: string }>(
    "SELECT key FROM login_throttles WHERE key LIKE 'ip:%'",
  );
  assert.deepEqual(
    rows.map((row) => row.key),
    [`ip:${seenByGateway}`],
  );
});
