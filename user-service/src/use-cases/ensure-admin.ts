import { normaliseEmail, passwordProblems } from '@shop/contracts';
import { withTransaction, type Pool } from '@shop/postgres';
import type { Logger } from '@shop/service-kit';
import { revokeAllOfUser } from '../db/refresh-tokens';
import { findUserByEmail, upsertAdmin } from '../db/users';
import { hashPassword, verifyPassword } from '../security/passwords';
import type { SessionRevocations } from '../security/session-revocation';
import type { AccountSettings } from '../config';

/**
 * Makes ADMIN_EMAIL an admin whose password is ADMIN_PASSWORD. Safe on every start and on every
 * replica: nothing changes when it already holds; a changed password ends the admin's sessions.
 */
export async function ensureAdmin(
  deps: { pool: Pool; settings: AccountSettings; logger: Logger; revocations: SessionRevocations },
  admin: { email: string; password: string },
): Promise<void> {
  const problems = passwordProblems(admin.password);
  if (problems.length > 0) {
    throw new Error(`ADMIN_PASSWORD is too weak: it ${problems.join('; it ')}`);
  }
  const email = normaliseEmail(admin.email);
  const existing = await findUserByEmail(deps.pool, email);
  if (existing?.role === 'admin' && (await verifyPassword(admin.password, existing.passwordHash))) {
    return;
  }
  const passwordHash = await hashPassword(admin.password, deps.settings.passwordHashing);
  const { user, sessions } = await withTransaction(deps.pool, async (tx) => {
    const saved = await upsertAdmin(tx, { email, name: 'Administrator', passwordHash });
    return { user: saved, sessions: await revokeAllOfUser(tx, saved.id) };
  });
  await deps.revocations.revoke(sessions);
  deps.logger.info(
    { userId: user.id, email },
    existing ? 'admin account updated from ADMIN_EMAIL' : 'admin account created from ADMIN_EMAIL',
  );
}
