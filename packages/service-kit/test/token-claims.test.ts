import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { call, TEST_JWT_SECRET, startTestServer } from '@shop/testkit';
import jwt from 'jsonwebtoken';
import {
  authenticate,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  principalOf,
  signAccessToken,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type RunningServer,
} from '../src';
import { testApp } from './support';

const now = () => Math.floor(Date.now() / 1000);

/** A correctly signed token with exactly these claims (beside issuer and audience). */
function signed(claims: Record<string, unknown>): string {
  return jwt.sign(
    { iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, sub: 'u1', role: 'customer', ...claims },
    TEST_JWT_SECRET,
    // Without this, jsonwebtoken would add an iat of its own.
    { algorithm: 'HS256', noTimestamp: !('iat' in claims) },
  );
}

const valid = () => ({ sid: randomUUID(), iat: now(), exp: now() + 900 });
const without = (name: string) => {
  const claims: Record<string, unknown> = valid();
  delete claims[name];
  return claims;
};

describe('the claims an access token must carry', () => {
  let server: RunningServer;

  before(async () => {
    server = await startTestServer(
      testApp({
        routes: (app) => {
          app.get('/me', authenticate({ secret: TEST_JWT_SECRET }), (req, res) => {
            res.json(principalOf(req));
          });
        },
      }),
    );
  });
  after(() => server.close());

  const me = (token: string) => call(server.url, 'GET', '/me', { token });

  test('when a signed token has sid, iat and an exp within the bound, then it is accepted', async () => {
    const claims = valid();
    const response = await me(signed(claims));
    assert.equal(response.status, 200);
    assert.equal(response.body.sessionId, claims.sid);
  });

  const refused: [string, Record<string, unknown>][] = [
    ['has no exp (and would never expire)', without('exp')],
    ['has no iat', without('iat')],
    ['has no sid', without('sid')],
    ['has a sid that is not a uuid', { ...valid(), sid: 'session-1' }],
    [
      `lives longer than ${MAX_ACCESS_TOKEN_LIFETIME_SECONDS} s`,
      { ...valid(), exp: now() + MAX_ACCESS_TOKEN_LIFETIME_SECONDS + 1 },
    ],
    ['expires before it was issued', { ...valid(), iat: now() + 10, exp: now() + 5 }],
    ['was issued in the future', { ...valid(), iat: now() + 600, exp: now() + 900 }],
  ];
  for (const [what, claims] of refused) {
    test(`when a correctly signed token ${what}, then 401`, async () => {
      const response = await me(signed(claims));
      assert.equal(response.status, 401);
      assert.equal(response.body.type, '/problems/unauthorized');
      assert.equal(response.body.detail, 'The access token is invalid');
    });
  }

  test('when a token longer-lived than the bound is asked of signAccessToken, then it refuses to sign', () => {
    assert.throws(
      () =>
        signAccessToken(
          { userId: 'u1', role: 'customer', sessionId: randomUUID() },
          { secret: TEST_JWT_SECRET, expiresInSeconds: MAX_ACCESS_TOKEN_LIFETIME_SECONDS + 1 },
        ),
      RangeError,
    );
  });
});
