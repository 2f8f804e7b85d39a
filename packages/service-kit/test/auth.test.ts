import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { call, TEST_JWT_SECRET, startTestServer, tokenFor } from '@shop/testkit';
import jwt from 'jsonwebtoken';
import {
  authenticate,
  principalOf,
  requireRole,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  verifyAccessToken,
  VERIFIED_TOKEN_CAPACITY,
  type RunningServer,
} from '../src';
import { testApp } from './support';

const settings = { secret: TEST_JWT_SECRET };

describe('JWT verification and role guards', () => {
  let server: RunningServer;
  const get = (path: string, token?: string) =>
    call(server.url, 'GET', path, token ? { token } : {});

  before(async () => {
    server = await startTestServer(
      testApp({
        routes: (app) => {
          app.get('/me', authenticate(settings), (req, res) => {
            res.json(principalOf(req));
          });
          app.get('/admin', authenticate(settings), requireRole('admin'), (_req, res) => {
            res.json({ ok: true });
          });
        },
      }),
    );
  });
  after(() => server.close());

  test('when the token is valid, then the handler sees the caller and their session', async () => {
    const sessionId = randomUUID();
    const response = await get('/me', tokenFor({ userId: 'u1', role: 'customer', sessionId }));
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { userId: 'u1', role: 'customer', sessionId });
  });

  test('when there is no token, then 401 with a Bearer challenge', async () => {
    const response = await get('/me');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
  });

  /** An admin's claims, valid but for the signature the forgeries give them. */
  const adminClaims = () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: 'u1',
      role: 'admin',
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
      sid: randomUUID(),
      iat: now,
      exp: now + 60,
    };
    return Buffer.from(JSON.stringify(claims)).toString('base64url');
  };
  const forged: Record<string, () => string> = {
    expired: () =>
      jwt.sign({ role: 'admin', sid: randomUUID() }, TEST_JWT_SECRET, {
        subject: 'u1',
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        expiresIn: -10,
      }),
    tampered: () => {
      const [header, , signature] = tokenFor({ userId: 'u1', role: 'customer' }).split('.');
      const payload = adminClaims();
      return `${header}.${payload}.${signature}`;
    },
    'alg none': () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = adminClaims();
      return `${header}.${payload}.`;
    },
    'wrong audience': () =>
      jwt.sign({ role: 'admin', sid: randomUUID() }, TEST_JWT_SECRET, {
        expiresIn: 60,
        subject: 'u1',
        issuer: TOKEN_ISSUER,
        audience: 'elsewhere',
      }),
    'wrong issuer': () =>
      jwt.sign({ role: 'admin', sid: randomUUID() }, TEST_JWT_SECRET, {
        expiresIn: 60,
        subject: 'u1',
        issuer: 'mallory',
        audience: TOKEN_AUDIENCE,
      }),
    'other algorithm': () =>
      jwt.sign({ role: 'admin', sid: randomUUID() }, TEST_JWT_SECRET, {
        expiresIn: 60,
        algorithm: 'HS512',
        subject: 'u1',
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
      }),
    'unknown role': () =>
      jwt.sign({ role: 'root', sid: randomUUID() }, TEST_JWT_SECRET, {
        expiresIn: 60,
        subject: 'u1',
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
      }),
  };
  for (const [kind, make] of Object.entries(forged)) {
    test(`when the token is ${kind}, then 401`, async () => {
      const response = await get('/me', make());
      assert.equal(response.status, 401);
      assert.equal(response.body.type, '/problems/unauthorized');
    });
  }

  test('when a customer calls an admin route, then 403; an admin passes', async () => {
    assert.equal((await get('/admin', tokenFor({ userId: 'u1', role: 'customer' }))).status, 403);
    assert.equal((await get('/admin', tokenFor({ userId: 'u2', role: 'admin' }))).status, 200);
  });
});

describe('remembered tokens', () => {
  test('when a token verified before reaches its expiry, then it is refused as expired', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const token = tokenFor({ userId: 'u1', role: 'customer' }, TEST_JWT_SECRET, 60);
    assert.equal(verifyAccessToken(token, settings).userId, 'u1');
    t.mock.timers.tick(59_000);
    assert.equal(verifyAccessToken(token, settings).userId, 'u1');
    t.mock.timers.tick(1_000);
    assert.throws(() => verifyAccessToken(token, settings), { message: /has expired/ });
    assert.throws(() => verifyAccessToken(token, settings), { message: /has expired/ });
  });

  test('when a token verified under one secret is shown under another, then it is invalid', () => {
    const token = tokenFor({ userId: 'u1', role: 'customer' });
    verifyAccessToken(token, settings);
    assert.throws(() => verifyAccessToken(token, { secret: `${TEST_JWT_SECRET}-other` }), {
      message: /is invalid/,
    });
    assert.throws(() => verifyAccessToken(token, { ...settings, audience: 'elsewhere' }), {
      message: /is invalid/,
    });
  });

  test('when more distinct tokens are verified than are remembered, then the oldest are verified again and still pass', () => {
    const first = tokenFor({ userId: 'first', role: 'customer' });
    verifyAccessToken(first, settings);
    for (let index = 0; index < VERIFIED_TOKEN_CAPACITY; index += 1) {
      verifyAccessToken(tokenFor({ userId: `u${index}`, role: 'customer' }), settings);
    }
    assert.equal(verifyAccessToken(first, settings).userId, 'first');
  });
});
