import { isPgError, PG_UNIQUE_VIOLATION, withTransaction, type Pool } from '@shop/postgres';
import { ConflictError } from '@shop/service-kit';
import { insertUser, type User } from '../db/users';
import { enqueueUserRegistered } from '../events/user-registered';
import { hashPassword } from '../security/passwords';
import type { AccountSettings } from '../config';

/** `email` is already normalised and `password` already passed the policy (see routes). */
export async function registerCustomer(
  deps: { pool: Pool; settings: AccountSettings },
  registration: { email: string; name: string; password: string },
): Promise<User> {
  const passwordHash = await hashPassword(registration.password, deps.settings.passwordHashing);
  try {
    return await withTransaction(deps.pool, async (tx) => {
      const user = await insertUser(tx, { ...registration, passwordHash, role: 'customer' });
      await enqueueUserRegistered(tx, user);
      return user;
    });
  } catch (error) {
    // The unique index decides, so concurrent sign-ups with one email give exactly one account.
    if (isPgError(error, PG_UNIQUE_VIOLATION)) {
      throw ConflictError('An account with this email already exists');
    }
    throw error;
  }
}
