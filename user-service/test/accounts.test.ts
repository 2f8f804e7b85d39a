import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_SCRYPT_PARAMS } from '../src/security/passwords';
import { newCustomer, signedInCustomer, useUserService, withUserService } from './support';

const users = useUserService();

describe('POST /users/register', () => {
  test('when a customer registers, then 201 gives id, normalised email, name and role, never the password', async () => {
    const customer = newCustomer();
    const res = await users.service.http.post('/users/register', {
      ...customer,
      email: `  ${customer.email.toUpperCase()} `,
    });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body).sort(), ['email', 'id', 'name', 'role']);
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(res.body.email, customer.email);
    assert.equal(res.body.role, 'customer');
    const { rows } = await users.database.pool.query(
      'SELECT password_hash FROM users WHERE id = $1',
      [res.body.id],
    );
    assert.match(rows[0].password_hash, /^scrypt\$/);
  });

  test('when the email is taken in other casing, then 409', async () => {
    const customer = newCustomer();
    assert.equal((await users.service.http.post('/users/register', customer)).status, 201);
    const again = await users.service.http.post('/users/register', {
      ...customer,
      email: customer.email.toUpperCase(),
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.type, '/problems/conflict');
  });

  test('when 50 registrations with one email race, then exactly one account exists and 49 get 409', async () => {
    const customer = newCustomer();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => users.service.http.post('/users/register', customer)),
    );
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((status) => status === 201).length, 1);
    assert.equal(statuses.filter((status) => status === 409).length, 49);
    const { rows } = await users.database.pool.query(
      'SELECT count(*)::int AS n FROM users WHERE email = $1',
      [customer.email],
    );
    assert.equal(rows[0].n, 1);
  });

  test('when the password breaks the policy, then 400 names the password field and the rule', async () => {
    for (const [password, rule] of [
      ['short1A', /at least 8 characters/],
      ['alllowercaseletters', /two kinds of character/],
      ['x'.repeat(129), /at most 128/],
    ] as const) {
      const res = await users.service.http.post('/users/register', newCustomer({ password }));
      assert.equal(res.status, 400, password);
      assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(res.body.errors[0].path, 'password');
      assert.match(res.body.errors[0].message, rule);
    }
  });

  test('when the password is the email, then 400 says so', async () => {
    const customer = newCustomer();
    const res = await users.service.http.post('/users/register', {
      ...customer,
      password: customer.email.toUpperCase(),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors, [
      { path: 'password', message: 'The password must not be the email address' },
    ]);
  });

  test('when the email, name or body is malformed, then 400 names each field', async () => {
    const res = await users.service.http.post('/users/register', {
      email: 'not-an-email',
      password: 'Correct-Horse-7',
      name: '   ',
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors.map((error: { path: string }) => error.path).sort(), [
      'email',
      'name',
    ]);
    const notJson = await users.service.http.post('/users/register', '{"email":', {
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
  });
});

describe('POST /users/login and GET /users/me', () => {
  test('when a customer logs in, then 200 gives both tokens, expiresIn and the user, and /me is that user', async () => {
    const { customer, session } = await signedInCustomer(users.service.http);
    assert.equal(typeof session.accessToken, 'string');
    assert.match(session.refreshToken, /^[\w-]{43}$/);
    const login = await users.service.http.post('/users/login', {
      email: ` ${customer.email.toUpperCase()}`,
      password: customer.password,
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.expiresIn, 900);
    assert.equal(login.body.user.email, customer.email);

    const me = await users.service.http.get('/users/me', { token: session.accessToken });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, session.user);
  });

  test('when the password is wrong or the email unknown, then both get the same 401', async () => {
    const { customer } = await signedInCustomer(users.service.http);
    const wrong = await users.service.http.post('/users/login', {
      email: customer.email,
      password: 'Wrong-Horse-7',
    });
    const unknown = await users.service.http.post('/users/login', {
      email: newCustomer().email,
      password: customer.password,
    });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.body.detail, unknown.body.detail);
    assert.equal(wrong.body.detail, 'The email or password is incorrect');
  });

  test('when /me is called without a token, then 401 with a Bearer challenge', async () => {
    const res = await users.service.http.get('/users/me');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  });

  test('when the login body is incomplete, then 400 and no 500', async () => {
    const res = await users.service.http.post('/users/login', { email: 'a@example.com' });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].path, 'password');
  });
});

describe('timing of failed logins', () => {
  test('when the email is unknown, then the answer takes as long as a wrong password (a dummy hash runs)', async () => {
    await withUserService(users, { passwordHashing: DEFAULT_SCRYPT_PARAMS }, async (realistic) => {
      const customer = newCustomer();
      await realistic.http.post('/users/register', customer);
      const unknown = newCustomer().email;
      const timeLogin = async (email: string) => {
        const started = performance.now();
        const res = await realistic.http.post('/users/login', { email, password: 'Wrong-1x' });
        assert.equal(res.status, 401);
        return performance.now() - started;
      };
      // Interleaved, so both kinds see the same load from suites running beside this one.
      const wrongPassword: number[] = [];
      const unknownEmail: number[] = [];
      for (let i = 0; i < 4; i++) {
        wrongPassword.push(await timeLogin(customer.email));
        unknownEmail.push(await timeLogin(unknown));
      }
      const median = (times: number[]) => times.sort((a, b) => a - b)[times.length / 2]!;
      // Skipping the hash would make an unknown email some twenty times faster.
      assert.ok(
        median(unknownEmail) > median(wrongPassword) * 0.3,
        `unknown email ${median(unknownEmail)} ms vs wrong password ${median(wrongPassword)} ms`,
      );
    });
  });
});
