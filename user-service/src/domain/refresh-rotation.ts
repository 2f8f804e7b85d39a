/** What the database knows about a refresh token (never the token itself, only its digest). */
export interface StoredRefreshToken {
  id: string;
  userId: string;
  familyId: string;
  expiresAt: Date;
  revokedAt: Date | null;
  /** Set when the token was exchanged for a newer one of the same family. */
  replacedBy: string | null;
}

export type RefreshDecision =
  | { kind: 'rotate' }
  /** A token that was already exchanged came back: a copy is in someone else's hands. */
  | { kind: 'reuse-detected'; familyId: string }
  | { kind: 'refuse'; reason: 'unknown' | 'revoked' | 'expired' };

/**
 * Refresh tokens rotate on every use, so each is good exactly once. Seeing a rotated one again
 * means either the client or a thief holds a stale copy; we cannot tell which, so the whole family
 * (every token descending from that login) dies and the real user simply logs in again.
 */
export function decideRefresh(token: StoredRefreshToken | undefined, now: Date): RefreshDecision {
  if (!token) return { kind: 'refuse', reason: 'unknown' };
  if (token.replacedBy !== null) return { kind: 'reuse-detected', familyId: token.familyId };
  if (token.revokedAt !== null) return { kind: 'refuse', reason: 'revoked' };
  if (token.expiresAt.getTime() <= now.getTime()) return { kind: 'refuse', reason: 'expired' };
  return { kind: 'rotate' };
}
