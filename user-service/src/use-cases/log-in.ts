import { normaliseEmail } from '@shop/contracts';
import type { Pool } from '@shop/postgres';
import { UnauthorizedError, type Logger } from '@shop/service-kit';
import { findUserByEmail, publicUser, updatePasswordHash } from '../db/users';
import { hashPassword, needsRehash, verifyPassword } from '../security/passwords';
import { admitLogin, recordSuccessfulLogin } from './login-throttle';
import { issueSession, type Session } from './sessions';
import type { AccountSettings } from '../config';

const BAD_CREDENTIALS = 'The email or password is incorrect';

/**
 * Unknown emails are checked against a hash made with today's params, so they cost the same time
 * as a wrong password and the answer's timing does not reveal who has an account. Made at once,
 * so the first unknown email is not the one request that pays for two hashes.
 */
export function dummyPasswordHash(settings: AccountSettings): () => Promise<string> {
  const hash = hashPassword('not-a-password-anyone-has', settings.passwordHashing);
  // Awaited by every unknown-email login; this only keeps an early failure from going unhandled.
  hash.catch(() => undefined);
  return () => hash;
}

export async function logIn(
  deps: {
    pool: Pool;
    settings: AccountSettings;
    logger: Logger;
    dummyHash: () => Promise<string>;
  },
  credentials: { email: string; password: string; ip: string },
): Promise<Session> {
  const email = normaliseEmail(credentials.email);
  const source = { email, ip: credentials.ip };
  await admitLogin(deps.pool, deps.settings.loginLimits, source);

  const user = await findUserByEmail(deps.pool, email);
  const matches = await verifyPassword(
    credentials.password,
    user?.passwordHash ?? (await deps.dummyHash()),
  );
  if (!user || !matches) throw UnauthorizedError(BAD_CREDENTIALS);

  await recordSuccessfulLogin(deps.pool, deps.settings.loginLimits, source);
  if (needsRehash(user.passwordHash, deps.settings.passwordHashing)) {
    // The only moment we hold the plain password: bring old hashes up to today's params.
    const rehashed = await hashPassword(credentials.password, deps.settings.passwordHashing);
    await updatePasswordHash(deps.pool, user.id, rehashed);
    deps.logger.info({ userId: user.id }, 'password re-hashed with current scrypt params');
  }
  const { session } = await issueSession(deps.pool, deps.settings, publicUser(user));
  return session;
}
