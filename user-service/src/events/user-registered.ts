import { shopEvents } from '@shop/contracts';
import type { Queryable } from '@shop/postgres';
import { enqueueEvent } from '@shop/messaging';
import type { User } from '../db/users';

/** Written to the outbox in the sign-up's own transaction: no account without its event, nor the reverse. */
export function enqueueUserRegistered(tx: Queryable, user: User) {
  return enqueueEvent(tx, shopEvents, 'USER_REGISTERED', { userId: user.id, email: user.email });
}
