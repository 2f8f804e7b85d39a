import type { Queryable } from '@shop/postgres';
import type { ThrottleState } from '../domain/login-throttle';

/**
 * Locks the keys' rows for this transaction, creating empty ones first: locking only rows that
 * exist would let two first attempts both read "no failures". Keys are locked in a fixed order so
 * two logins never deadlock.
 */
export async function lockThrottles(
  db: Queryable,
  keys: string[],
  now: Date,
): Promise<Map<string, ThrottleState>> {
  const sorted = [...keys].sort();
  await db.query(
    `INSERT INTO login_throttles (key, failures, window_started_at)
     SELECT key, 0, $2 FROM unnest($1::text[]) AS key
     ON CONFLICT (key) DO NOTHING`,
    [sorted, now],
  );
  const { rows } = await db.query<ThrottleState & { key: string }>(
    `SELECT key, failures, window_started_at AS "windowStartedAt", blocked_until AS "blockedUntil"
       FROM login_throttles WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`,
    [sorted],
  );
  return new Map(rows.map(({ key, ...state }) => [key, state]));
}

export async function saveThrottle(
  db: Queryable,
  key: string,
  state: ThrottleState,
): Promise<void> {
  await db.query(
    `INSERT INTO login_throttles (key, failures, window_started_at, blocked_until)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (key) DO UPDATE SET failures = EXCLUDED.failures,
       window_started_at = EXCLUDED.window_started_at, blocked_until = EXCLUDED.blocked_until`,
    [key, state.failures, state.windowStartedAt, state.blockedUntil],
  );
}

export async function deleteThrottle(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM login_throttles WHERE key = $1', [key]);
}

/** Forgets rows whose window and block are both long over; they would be reset anyway. */
export async function purgeStaleThrottles(db: Queryable, olderThan: Date): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM login_throttles
      WHERE window_started_at < $1 AND (blocked_until IS NULL OR blocked_until < $1)`,
    [olderThan],
  );
  return rowCount ?? 0;
}
