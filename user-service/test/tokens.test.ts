import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/service-kit';
import { TEST_JWT_SECRET } from '@shop/testkit';
import { sessionIdOf, signedInCustomer, useUserService, withUserService } from './support';

const users = useUserService();

const refresh = (refreshToken: string, on = users.service) =>
  on.http.post('/users/refresh', { refreshToken });

describe('refresh token lifecycle', () => {
  test('when a refresh token is used, then a new pair comes back and the old refresh token is dead', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const renewed = await refresh(session.refreshToken);
    assert.equal(renewed.status, 200);
    assert.notEqual(renewed.body.refreshToken, session.refreshToken);
    assert.equal(renewed.body.user.id, session.user.id);
    assert.equal(renewed.body.expiresIn, 900);
    const me = await users.service.http.get('/users/me', { token: renewed.body.accessToken });
    assert.equal(me.status, 200);

    assert.equal((await refresh(renewed.body.refreshToken)).status, 200);
  });

  test('when a rotated token is reused, then 401 and the newest token of its family stops working too', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const second = await refresh(session.refreshToken);
    const third = await refresh(second.body.refreshToken);
    assert.equal(third.status, 200);

    const replay = await refresh(session.refreshToken);
    assert.equal(replay.status, 401);

    const newest = await refresh(third.body.refreshToken);
    assert.equal(newest.status, 401);
    const { rows } = await users.database.pool.query(
      `SELECT count(*)::int AS live FROM refresh_tokens
        WHERE user_id = $1 AND revoked_at IS NULL`,
      [session.user.id],
    );
    assert.equal(rows[0].live, 0);
  });

  test('when a family is revoked for reuse, then another login of the same user keeps working', async () => {
    const { customer, session } = await signedInCustomer(users.service.http);
    const other = await users.service.http.post('/users/login', {
      email: customer.email,
      password: customer.password,
    });
    await refresh(session.refreshToken);
    assert.equal((await refresh(session.refreshToken)).status, 401);
    assert.equal((await refresh(other.body.refreshToken)).status, 200);
  });

  test('when two refreshes with one token race, then one wins and the family is revoked', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const answers = await Promise.all([
      refresh(session.refreshToken),
      refresh(session.refreshToken),
    ]);
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 401]);
    const winner = answers.find((answer) => answer.status === 200)!;
    assert.equal((await refresh(winner.body.refreshToken)).status, 401);
  });

  test('when a refresh token is unknown or malformed, then 401 or 400, never 500', async () => {
    assert.equal((await refresh('not-a-token-we-issued')).status, 401);
    assert.equal((await users.service.http.post('/users/refresh', {})).status, 400);
    assert.equal(
      (await users.service.http.post('/users/refresh', { refreshToken: 42 })).status,
      400,
    );
  });

  test('when a refresh token has outlived its TTL, then 401', async () => {
    await withUserService(users, { refreshTokenTtlMs: 1 }, async (shortLived) => {
      const { session } = await signedInCustomer(shortLived.http);
      assert.equal((await refresh(session.refreshToken, shortLived)).status, 401);
    });
  });
});

describe('POST /users/logout', () => {
  const logOut = (accessToken: string, refreshToken: string) =>
    users.service.http.post('/users/logout', { refreshToken }, { token: accessToken });

  test('when a user logs out, then 204 and every token of that login is dead', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const renewed = await refresh(session.refreshToken);
    const out = await logOut(renewed.body.accessToken, renewed.body.refreshToken);
    assert.equal(out.status, 204);
    assert.equal((await refresh(renewed.body.refreshToken)).status, 401);
  });

  test("when someone logs out with another user's refresh token, then that token keeps working", async () => {
    const victim = await signedInCustomer(users.service.http);
    const intruder = await signedInCustomer(users.service.http);
    const out = await logOut(intruder.session.accessToken, victim.session.refreshToken);
    assert.equal(out.status, 204);
    assert.equal((await refresh(victim.session.refreshToken)).status, 200);
  });

  test('when logout comes without an access token, then 401 and the session lives', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const out = await users.service.http.post('/users/logout', {
      refreshToken: session.refreshToken,
    });
    assert.equal(out.status, 401);
    assert.equal((await refresh(session.refreshToken)).status, 200);
  });
});

describe('access tokens refused by GET /users/me', () => {
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  async function meWith(token: string) {
    return users.service.http.get('/users/me', { token });
  }

  test('when the signature is tampered with, then 401', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const [header, payload, signature] = session.accessToken.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal((await meWith(`${header}.${payload}.${flipped}`)).status, 401);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const promoted = base64url({ ...claims, role: 'admin' });
    assert.equal((await meWith(`${header}.${promoted}.${signature}`)).status, 401);
  });

  test('when the token has expired, then 401 saying so', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const expired = jwt.sign(
      { role: 'customer', exp: Math.floor(Date.now() / 1000) - 10 },
      TEST_JWT_SECRET,
      {
        algorithm: 'HS256',
        subject: session.user.id,
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
      },
    );
    const res = await meWith(expired);
    assert.equal(res.status, 401);
    assert.equal(res.body.detail, 'The access token has expired');
  });

  test('when the audience, issuer or secret is wrong, then 401', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const sign = (secret: string, options: jwt.SignOptions) =>
      jwt.sign({ role: 'customer', sid: sessionIdOf(session.accessToken) }, secret, {
        algorithm: 'HS256',
        subject: session.user.id,
        expiresIn: 60,
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        ...options,
      });
    assert.equal((await meWith(sign(TEST_JWT_SECRET, { audience: 'another-api' }))).status, 401);
    assert.equal((await meWith(sign(TEST_JWT_SECRET, { issuer: 'someone-else' }))).status, 401);
    assert.equal((await meWith(sign(`${TEST_JWT_SECRET}-not`, {}))).status, 401);
    assert.equal((await meWith(sign(TEST_JWT_SECRET, {}))).status, 200);
  });

  test('when the token says alg none, then 401', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
      sub: session.user.id,
      role: 'admin',
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
      iat: now,
      exp: now + 60,
    })}.`;
    assert.equal((await meWith(unsigned)).status, 401);
  });
});
