import type { Queryable } from '@shop/postgres';
import type { StoredRefreshToken } from '../domain/refresh-rotation';

export async function insertRefreshToken(
  db: Queryable,
  token: { digest: Buffer; userId: string; familyId: string; expiresAt: Date },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO refresh_tokens (token_digest, user_id, family_id, expires_at)
     VALUES ($1, $2, $3, $4) RETURNING id`,
    [token.digest, token.userId, token.familyId, token.expiresAt],
  );
  return rows[0]!.id;
}

/** Locks the row, so two refreshes with the same token are decided one after the other. */
export async function findRefreshTokenForUpdate(
  db: Queryable,
  digest: Buffer,
): Promise<StoredRefreshToken | undefined> {
  const { rows } = await db.query<StoredRefreshToken>(
    `SELECT id, user_id AS "userId", family_id AS "familyId", expires_at AS "expiresAt",
            revoked_at AS "revokedAt", replaced_by AS "replacedBy"
       FROM refresh_tokens WHERE token_digest = $1 FOR UPDATE`,
    [digest],
  );
  return rows[0];
}

export async function markRotated(db: Queryable, id: string, replacedBy: string): Promise<void> {
  await db.query('UPDATE refresh_tokens SET replaced_by = $2, revoked_at = now() WHERE id = $1', [
    id,
    replacedBy,
  ]);
}

export async function revokeFamily(db: Queryable, familyId: string): Promise<number> {
  const { rowCount } = await db.query(
    'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL',
    [familyId],
  );
  return rowCount ?? 0;
}

/** Revokes every live refresh token of the user; returns the sessions (families) that ended. */
export async function revokeAllOfUser(db: Queryable, userId: string): Promise<string[]> {
  const { rows } = await db.query<{ familyId: string }>(
    `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
     RETURNING family_id AS "familyId"`,
    [userId],
  );
  return [...new Set(rows.map((row) => row.familyId))];
}
