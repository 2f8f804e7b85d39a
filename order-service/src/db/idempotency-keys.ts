import type { Queryable } from '@shop/postgres';

export interface IdempotencyRecord {
  fingerprint: string;
  orderId: string;
}

export async function findIdempotencyKey(
  db: Queryable,
  userId: string,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const { rows } = await db.query<{ request_fingerprint: string; order_id: string }>(
    'SELECT request_fingerprint, order_id FROM idempotency_keys WHERE user_id = $1 AND key = $2',
    [userId, key],
  );
  const [row] = rows;
  return row && { fingerprint: row.request_fingerprint, orderId: row.order_id };
}

/**
 * Claims the key for an order about to be inserted in the same transaction. If a concurrent
 * request holds the same key uncommitted, Postgres makes this wait for it; false means the key was
 * taken (by a committed request), and this transaction must create nothing.
 */
export async function claimIdempotencyKey(
  tx: Queryable,
  claim: { userId: string; key: string; fingerprint: string; orderId: string },
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO idempotency_keys (user_id, key, request_fingerprint, order_id)
     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, key) DO NOTHING`,
    [claim.userId, claim.key, claim.fingerprint, claim.orderId],
  );
  return rowCount === 1;
}
