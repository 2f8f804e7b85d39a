import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { startTcpProxy, testServers, waitFor } from '@shop/testkit';
import {
  sessionIdOf,
  signedInCustomer,
  startRevocationList,
  startUserService,
  testSettings,
  useUserService,
} from './support';

const ACCESS_TOKEN_TTL_SECONDS = 600;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const users = useUserService(() => ({
  settings: testSettings({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS }),
}));

const logOut = (accessToken: string, refreshToken: string) =>
  users.service.http.post('/users/logout', { refreshToken }, { token: accessToken });

function assertListedForTheTokenLifetime(remainingMs: number | undefined) {
  assert.ok(remainingMs !== undefined, 'the session is on the revocation list');
  assert.ok(remainingMs > (ACCESS_TOKEN_TTL_SECONDS - 30) * 1000, `${remainingMs} ms left`);
  assert.ok(remainingMs <= ACCESS_TOKEN_TTL_SECONDS * 1000, `${remainingMs} ms left`);
}

describe('session ids in access tokens', () => {
  test('when a customer logs in, then the access token carries sid, iat and exp one lifetime apart', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const claims = jwt.decode(session.accessToken) as Record<string, unknown>;
    assert.match(String(claims.sid), UUID);
    assert.equal(claims.sub, session.user.id);
    assert.equal(Number(claims.exp) - Number(claims.iat), ACCESS_TOKEN_TTL_SECONDS);
  });

  test('when the session is refreshed, then the new access token keeps the sid; a new login gets another', async () => {
    const { customer, session } = await signedInCustomer(users.service.http);
    const refreshed = await users.service.http.post('/users/refresh', {
      refreshToken: session.refreshToken,
    });
    assert.equal(refreshed.status, 200);
    assert.equal(sessionIdOf(refreshed.body.accessToken), sessionIdOf(session.accessToken));
    const again = await users.service.http.post('/users/login', {
      email: customer.email,
      password: customer.password,
    });
    assert.notEqual(sessionIdOf(again.body.accessToken), sessionIdOf(session.accessToken));
  });
});

describe('ending sessions', () => {
  test('when a customer logs out, then the session is listed as revoked for one token lifetime', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const sessionId = sessionIdOf(session.accessToken);
    assert.equal(await users.service.revoked.revokedFor(sessionId), undefined);

    const response = await logOut(session.accessToken, session.refreshToken);

    assert.equal(response.status, 204);
    assertListedForTheTokenLifetime(await users.service.revoked.revokedFor(sessionId));
  });

  test("when a customer logs out with someone else's refresh token, then only the caller's own session ends", async () => {
    const mallory = await signedInCustomer(users.service.http);
    const victim = await signedInCustomer(users.service.http);

    const response = await logOut(mallory.session.accessToken, victim.session.refreshToken);

    assert.equal(response.status, 204);
    assert.ok(await users.service.revoked.revokedFor(sessionIdOf(mallory.session.accessToken)));
    assert.equal(
      await users.service.revoked.revokedFor(sessionIdOf(victim.session.accessToken)),
      undefined,
    );
    const stillWorks = await users.service.http.post('/users/refresh', {
      refreshToken: victim.session.refreshToken,
    });
    assert.equal(stillWorks.status, 200);
  });

  test('when a rotated refresh token comes back, then its whole session is listed as revoked', async () => {
    const { session } = await signedInCustomer(users.service.http);
    const first = await users.service.http.post('/users/refresh', {
      refreshToken: session.refreshToken,
    });
    assert.equal(first.status, 200);

    const reuse = await users.service.http.post('/users/refresh', {
      refreshToken: session.refreshToken,
    });

    assert.equal(reuse.status, 401);
    assertListedForTheTokenLifetime(
      await users.service.revoked.revokedFor(sessionIdOf(session.accessToken)),
    );
  });
});

describe('ending sessions while Redis is unreachable', () => {
  test('when the revocation list cannot be written, then logout is a 503 problem and a retry ends the session', async () => {
    const redisUrl = new URL(testServers.redisUrl);
    const proxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port) });
    const revoked = startRevocationList({
      redisUrl: proxy.wrap(testServers.redisUrl),
      accessTokenTtlMs: ACCESS_TOKEN_TTL_SECONDS * 1000,
    });
    const cutOff = await startUserService(users.database.pool, {
      settings: testSettings({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS }),
      revoked,
    });
    try {
      const { session } = await signedInCustomer(cutOff.http);
      proxy.cut();

      const refused = await cutOff.http.post(
        '/users/logout',
        { refreshToken: session.refreshToken },
        { token: session.accessToken },
      );

      assert.equal(refused.status, 503);
      assert.match(refused.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal(refused.body.detail, 'The session could not be ended; try again');
      proxy.restore();
      await waitFor(
        async () =>
          (
            await cutOff.http.post(
              '/users/logout',
              { refreshToken: session.refreshToken },
              { token: session.accessToken },
            )
          ).status === 204,
        { what: 'a retried logout to succeed once Redis is back', timeoutMs: 15_000 },
      );
      assert.ok(await revoked.revokedFor(sessionIdOf(session.accessToken)));
    } finally {
      await cutOff.close();
      await revoked.close();
      await proxy.close();
    }
  });
});
