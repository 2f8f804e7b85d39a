import { withTransaction, type Pool } from '@shop/postgres';
import { UnauthorizedError, type Logger } from '@shop/service-kit';
import { findRefreshTokenForUpdate, markRotated, revokeFamily } from '../db/refresh-tokens';
import { findUserById } from '../db/users';
import { decideRefresh } from '../domain/refresh-rotation';
import { refreshTokenDigest } from '../security/refresh-tokens';
import type { SessionRevocations } from '../security/session-revocation';
import { issueSession, type Session } from './sessions';
import type { AccountSettings } from '../config';

const REFUSED = 'The refresh token is invalid or has expired';

/**
 * Exchanges a refresh token for a new pair. The revocation after a detected reuse is committed
 * before the 401 is thrown: throwing inside the transaction would roll it back.
 */
export async function refreshSession(
  deps: {
    pool: Pool;
    settings: AccountSettings;
    logger: Logger;
    revocations: SessionRevocations;
    onReuse?: () => void;
  },
  refreshToken: string,
): Promise<Session> {
  let reusedFamily: string | undefined;
  const outcome = await withTransaction(deps.pool, async (tx) => {
    const stored = await findRefreshTokenForUpdate(tx, refreshTokenDigest(refreshToken));
    const decision = decideRefresh(stored, new Date());
    if (decision.kind === 'reuse-detected') {
      const revoked = await revokeFamily(tx, decision.familyId);
      deps.logger.warn(
        { userId: stored?.userId, familyId: decision.familyId, revoked },
        'refresh token reuse detected; its family is revoked',
      );
      deps.onReuse?.();
      reusedFamily = decision.familyId;
      return undefined;
    }
    if (decision.kind === 'refuse' || !stored) return undefined;
    const user = await findUserById(tx, stored.userId);
    if (!user) return undefined;
    const next = await issueSession(tx, deps.settings, user, stored.familyId);
    await markRotated(tx, stored.id, next.refreshTokenId);
    return next.session;
  });
  if (reusedFamily) await endStolenSession(deps, reusedFamily);
  if (!outcome) throw UnauthorizedError(REFUSED);
  return outcome;
}

/**
 * The thief may hold a live access token of the family too. The refresh tokens are dead already,
 * so a revocation list that cannot be written is logged, not answered: the caller gets its 401.
 */
async function endStolenSession(
  deps: { logger: Logger; revocations: SessionRevocations },
  familyId: string,
): Promise<void> {
  try {
    await deps.revocations.revoke([familyId]);
  } catch (error) {
    deps.logger.error(
      { err: error, familyId },
      'could not list the reused session as revoked; its access tokens live until they expire',
    );
  }
}
