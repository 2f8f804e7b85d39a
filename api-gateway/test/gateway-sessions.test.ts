import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/service-kit';
import { deleteRedisKeys, TEST_JWT_SECRET, uniqueName } from '@shop/testkit';
import { redisCommandsDuring, useEchoes, type GatewayUnderTest } from './support';

/** An access token as user-service issues them, with its session id (`sid`). */
function sessionToken(sid: string): string {
  return jwt.sign({ role: 'customer', sid }, TEST_JWT_SECRET, {
    algorithm: 'HS256',
    subject: 'customer-1',
    issuer: TOKEN_ISSUER,
    audience: TOKEN_AUDIENCE,
    expiresIn: 900,
  });
}

const SESSION_CHECK_MS = 300;

describe('gateway and ended sessions', () => {
  const suite = useEchoes();
  let gateway: GatewayUnderTest;
  const revokedPrefix = `${uniqueName('revoked-session')}:`;

  before(async () => {
    gateway = await suite.startGateway({
      env: {
        REVOKED_SESSION_PREFIX: revokedPrefix,
        SESSION_CHECK_MS: String(SESSION_CHECK_MS),
        // Long enough that the batch of locally judged hits is sent after a test's requests.
        RATE_LIMIT_BATCH_MS: '500',
      },
    });
    // Cleanups run last first: the keys go while the gateway's Redis connection is still open.
    suite.onCleanup(() => deleteRedisKeys(gateway.redis, revokedPrefix));
  });

  test('when a session is marked ended in Redis, then its tokens get 401 within SESSION_CHECK_MS and reach no service', async () => {
    const sid = randomUUID();
    const token = sessionToken(sid);
    assert.equal((await gateway.api.get('/api/orders', { token })).status, 200);

    await gateway.redis.set(`${revokedPrefix}${sid}`, '1', 'PX', 60_000);
    const marked = Date.now();
    let refused = await gateway.api.get('/api/orders', { token });
    while (refused.status === 200 && Date.now() - marked < 5000) {
      refused = await gateway.api.get('/api/orders', { token });
    }
    const after = Date.now() - marked;
    const reached = suite.echoes.orders.received.length;
    const again = await gateway.api.get('/api/orders', { token });

    assert.equal(refused.status, 401);
    assert.ok(after < SESSION_CHECK_MS + 700, `refused ${after} ms after the mark`);
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(refused.body.detail, 'The session has ended');
    assert.equal(again.status, 401);
    assert.equal(
      suite.echoes.orders.received.length,
      reached,
      'no service was called once refused',
    );
  });

  test('when a session was confirmed live a moment ago, then its next requests are judged without waiting for Redis', async () => {
    // The longest window allowed, so that a slow machine still sends the five requests inside it.
    const patient = await suite.startGateway({
      env: { REVOKED_SESSION_PREFIX: revokedPrefix, SESSION_CHECK_MS: '1000' },
    });
    const sid = randomUUID();
    const sessionKey = `${revokedPrefix}${sid}`;
    const token = sessionToken(sid);
    const confirmed = Date.now();
    assert.equal((await patient.api.get('/api/orders', { token })).status, 200);

    const sent = await redisCommandsDuring(patient.redis, async () => {
      for (let i = 0; i < 5; i++) {
        assert.equal((await patient.api.get('/api/orders', { token })).status, 200);
      }
    });
    const elapsed = Date.now() - confirmed;

    // A batch of rate-limit hits may go out meanwhile; what must not is a look at the session.
    const checks = sent.filter(({ args }) => args.includes(sessionKey));
    assert.equal(checks.length, 0, `5 requests in ${elapsed} ms asked Redis of the session`);
  });

  test('when SESSION_CHECK_MS is 0, then the request right after the mark is refused', async () => {
    const exact = await suite.startGateway({
      env: { REVOKED_SESSION_PREFIX: revokedPrefix, SESSION_CHECK_MS: '0' },
    });
    const sid = randomUUID();
    const token = sessionToken(sid);
    assert.equal((await exact.api.get('/api/orders', { token })).status, 200);

    await exact.redis.set(`${revokedPrefix}${sid}`, '1', 'PX', 60_000);

    assert.equal((await exact.api.get('/api/orders', { token })).status, 401);
  });

  test('when one session is revoked, then the tokens of another session still work', async () => {
    const ended = randomUUID();
    await gateway.redis.set(`${revokedPrefix}${ended}`, '1', 'PX', 60_000);
    const other = sessionToken(randomUUID());
    assert.equal((await gateway.api.get('/api/orders', { token: other })).status, 200);
  });

  test('when an ended session calls a public route, then it is served as anonymous', async () => {
    const sid = randomUUID();
    await gateway.redis.set(`${revokedPrefix}${sid}`, '1', 'PX', 60_000);
    const answer = await gateway.api.get('/api/products', { token: sessionToken(sid) });
    assert.equal(answer.status, 200);
    assert.equal(suite.echoes.products.received.at(-1)?.headers['x-user-id'], undefined);
  });

  test('when a login is admitted, then both rate limits and the session check cost one Redis command', async () => {
    const sent = await redisCommandsDuring(gateway.redis, async () => {
      const answer = await gateway.api.post(
        '/api/users/login',
        { email: 'a@shop.example', password: 'correct-horse-9' },
        { token: sessionToken(randomUUID()) },
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('ratelimit-policy')?.split(',').length, 2);
    });
    assert.equal(sent.length, 1, `sent ${sent.map(({ name }) => name).join(', ')}`);
  });
});
