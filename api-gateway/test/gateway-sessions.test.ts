import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@shop/service-kit';
import { deleteRedisKeys, TEST_JWT_SECRET, uniqueName } from '@shop/testkit';
import {
  redisCommandsDuring,
  startEchoes,
  startGateway,
  upstreamEnv,
  type GatewayUnderTest,
} from './support';

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

describe('gateway and ended sessions', () => {
  let echoes: Awaited<ReturnType<typeof startEchoes>>;
  let gateway: GatewayUnderTest;
  const revokedPrefix = `${uniqueName('revoked-session')}:`;

  before(async () => {
    echoes = await startEchoes();
    gateway = await startGateway({
      env: { ...upstreamEnv(echoes), REVOKED_SESSION_PREFIX: revokedPrefix },
    });
  });
  after(async () => {
    await deleteRedisKeys(gateway.redis, revokedPrefix);
    await gateway.close();
    await echoes.close();
  });

  test('when a session is marked revoked in Redis, then its access token gets 401 and reaches no service', async () => {
    const sid = randomUUID();
    const token = sessionToken(sid);
    assert.equal((await gateway.api.get('/api/orders', { token })).status, 200);

    await gateway.redis.set(`${revokedPrefix}${sid}`, '1', 'PX', 60_000);
    const reached = echoes.orders.received.length;
    const refused = await gateway.api.get('/api/orders', { token });

    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(refused.body.detail, 'The session has ended');
    assert.equal(echoes.orders.received.length, reached, 'no service was called');
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
    assert.equal(echoes.products.received.at(-1)?.headers['x-user-id'], undefined);
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
    assert.equal(sent.length, 1, `sent ${sent.join(', ')}`);
  });
});
