import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { listen, signAccessToken, type Principal, type RunningServer } from '@shop/service-kit';
import { TEST_JWT_SECRET } from './environment';

/** Starts an app in-process on a random loopback port. */
export function startTestServer(app: RequestListener): Promise<RunningServer> {
  return listen(app, 0, '127.0.0.1');
}

/** A signed access token; a fresh session id unless the test names one. */
export function tokenFor(
  principal: Principal & { sessionId?: string },
  secret = TEST_JWT_SECRET,
  expiresInSeconds = 900,
) {
  return signAccessToken({ sessionId: randomUUID(), ...principal }, { secret, expiresInSeconds });
}

export function authHeader(principal: Principal, secret = TEST_JWT_SECRET) {
  return { authorization: `Bearer ${tokenFor(principal, secret)}` };
}
