import { withTransaction, type Pool } from '@shop/postgres';
import { TooManyRequestsError } from '@shop/service-kit';
import { deleteThrottle, lockThrottles, saveThrottle } from '../db/login-throttles';
import { admitAttempt, refundAttempt, type ThrottleState } from '../domain/login-throttle';
import type { LoginLimits } from '../config';

export interface LoginSource {
  /** Normalised email as typed, whether or not an account has it (so throttling reveals nothing). */
  email: string;
  ip: string;
}

const accountKey = (source: LoginSource) => `account:${source.email}|ip:${source.ip}`;
const ipKey = (source: LoginSource) => `ip:${source.ip}`;

/**
 * Counts the attempt against the account+address pair and the address, or refuses it with a 429
 * naming the wait. A blocked attempt is not counted, and never reaches the password check, so a
 * correct guess during a block is not told apart from a wrong one.
 */
export async function admitLogin(
  pool: Pool,
  limits: LoginLimits,
  source: LoginSource,
): Promise<void> {
  const now = new Date();
  const refusal = await withTransaction(pool, async (tx) => {
    const states = await lockThrottles(tx, [accountKey(source), ipKey(source)], now);
    const account = admitAttempt(states.get(accountKey(source)), now, limits.account);
    const ip = admitAttempt(states.get(ipKey(source)), now, limits.ip);
    if (!account.admitted || !ip.admitted) {
      return Math.max(
        account.admitted ? 0 : account.retryAfterSeconds,
        ip.admitted ? 0 : ip.retryAfterSeconds,
      );
    }
    await saveThrottle(tx, accountKey(source), account.next);
    await saveThrottle(tx, ipKey(source), ip.next);
    return undefined;
  });
  if (refusal !== undefined) {
    throw TooManyRequestsError(`Too many failed logins; try again in ${refusal} seconds`, refusal);
  }
}

/** A correct password clears the pair's count and takes back the address's count for this attempt. */
export async function recordSuccessfulLogin(
  pool: Pool,
  limits: LoginLimits,
  source: LoginSource,
): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await deleteThrottle(tx, accountKey(source));
    const states = await lockThrottles(tx, [ipKey(source)], new Date());
    const ip: ThrottleState | undefined = states.get(ipKey(source));
    if (ip) await saveThrottle(tx, ipKey(source), refundAttempt(ip, limits.ip));
  });
}
