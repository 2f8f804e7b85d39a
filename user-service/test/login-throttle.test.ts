import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { waitFor } from '@shop/testkit';
import { newCustomer, testSettings, useUserService } from './support';

// Small numbers so a block passes within a test (production: 5 failures, 30 s doubling to 15 min,
// 15-minute window). The window outlasts each test, and the first wait outlasts a slow CI step.
const account = { maxFailures: 3, windowMs: 30_000, backoffBaseMs: 1500, backoffMaxMs: 3000 };
const ip = { maxFailures: 8, windowMs: 30_000, backoffBaseMs: 1500, backoffMaxMs: 3000 };

const users = useUserService(() => ({
  settings: testSettings({ loginLimits: { account, ip } }),
}));

/** Each test comes from its own address (the service trusts X-Forwarded-For from loopback). */
function fromAddress() {
  const address = `10.${randomBytes(3).join('.')}`;
  return { headers: { 'x-forwarded-for': address } };
}

async function registered() {
  const customer = newCustomer();
  assert.equal((await users.service.http.post('/users/register', customer)).status, 201);
  return customer;
}

const logIn = (email: string, password: string, from: ReturnType<typeof fromAddress>) =>
  users.service.http.post('/users/login', { email, password }, from);

test('when an address guesses wrong too often, then even the right password gets 429 with Retry-After, until the wait passes', async () => {
  const customer = await registered();
  const attacker = fromAddress();
  for (let i = 0; i < account.maxFailures; i++) {
    assert.equal((await logIn(customer.email, 'Wrong-Guess-1', attacker)).status, 401);
  }
  const blocked = await logIn(customer.email, customer.password, attacker);
  assert.equal(blocked.status, 429);
  assert.equal(blocked.body.type, '/problems/too-many-requests');
  assert.match(blocked.body.detail, /try again in \d+ seconds/);
  assert.ok(Number(blocked.headers.get('retry-after')) >= 1);

  const back = await waitFor(
    async () => {
      const res = await logIn(customer.email, customer.password, attacker);
      return res.status === 200 && res;
    },
    { timeoutMs: 10_000, intervalMs: 200, what: 'the block to end' },
  );
  assert.equal(back.body.user.email, customer.email);
});

test('when an attacker is blocked on an account, then the real user from another address logs in at once', async () => {
  const customer = await registered();
  const attacker = fromAddress();
  for (let i = 0; i <= account.maxFailures; i++) await logIn(customer.email, 'Wrong-1x', attacker);
  assert.equal((await logIn(customer.email, customer.password, attacker)).status, 429);
  assert.equal((await logIn(customer.email, customer.password, fromAddress())).status, 200);
});

test('when a login succeeds, then the failures before it are forgotten', async () => {
  const customer = await registered();
  const user = fromAddress();
  for (let i = 0; i < account.maxFailures - 1; i++) {
    assert.equal((await logIn(customer.email, 'Wrong-1x', user)).status, 401);
  }
  assert.equal((await logIn(customer.email, customer.password, user)).status, 200);
  for (let i = 0; i < account.maxFailures - 1; i++) {
    assert.equal((await logIn(customer.email, 'Wrong-1x', user)).status, 401);
  }
  assert.equal((await logIn(customer.email, customer.password, user)).status, 200);
});

test('when guesses arrive in parallel, then only the allowed number reach the password check', async () => {
  const customer = await registered();
  const attacker = fromAddress();
  const answers = await Promise.all(
    Array.from({ length: 12 }, () => logIn(customer.email, 'Wrong-1x', attacker)),
  );
  const statuses = answers.map((answer) => answer.status);
  assert.equal(statuses.filter((status) => status === 401).length, account.maxFailures);
  assert.equal(statuses.filter((status) => status === 429).length, 12 - account.maxFailures);
});

test('when one address sprays many accounts, then its per-address limit answers 429', async () => {
  const sprayer = fromAddress();
  for (let i = 0; i < ip.maxFailures; i++) {
    assert.equal((await logIn(newCustomer().email, 'Wrong-1x', sprayer)).status, 401);
  }
  const customer = await registered();
  assert.equal((await logIn(customer.email, customer.password, sprayer)).status, 429);
  assert.equal((await logIn(customer.email, customer.password, fromAddress())).status, 200);
});

test('when an email has no account, then it is throttled the same way, revealing nothing', async () => {
  const nobody = newCustomer();
  const attacker = fromAddress();
  const statuses: number[] = [];
  for (let i = 0; i <= account.maxFailures; i++) {
    statuses.push((await logIn(nobody.email, nobody.password, attacker)).status);
  }
  assert.deepEqual(statuses, [401, 401, 401, 429]);
});
