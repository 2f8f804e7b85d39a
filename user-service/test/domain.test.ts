import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  admitAttempt,
  backoffMs,
  refundAttempt,
  type ThrottleLimits,
} from '../src/domain/login-throttle';
import { decideRefresh, type StoredRefreshToken } from '../src/domain/refresh-rotation';

describe('refresh token rotation', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const live: StoredRefreshToken = {
    id: 't1',
    userId: 'u1',
    familyId: 'f1',
    expiresAt: new Date('2026-01-02T12:00:00Z'),
    revokedAt: null,
    replacedBy: null,
  };

  test('when a live token is presented, then it rotates', () => {
    assert.deepEqual(decideRefresh(live, now), { kind: 'rotate' });
  });

  test('when a token that was already rotated comes back, then its family is revoked', () => {
    const rotated = { ...live, replacedBy: 't2', revokedAt: now };
    assert.deepEqual(decideRefresh(rotated, now), { kind: 'reuse-detected', familyId: 'f1' });
  });

  test('when an expired, revoked or unknown token is presented, then it is refused without more', () => {
    assert.deepEqual(decideRefresh({ ...live, expiresAt: now }, now), {
      kind: 'refuse',
      reason: 'expired',
    });
    assert.deepEqual(decideRefresh({ ...live, revokedAt: now }, now), {
      kind: 'refuse',
      reason: 'revoked',
    });
    assert.deepEqual(decideRefresh(undefined, now), { kind: 'refuse', reason: 'unknown' });
  });
});

describe('login throttle', () => {
  const limits: ThrottleLimits = {
    maxFailures: 3,
    windowMs: 60_000,
    backoffBaseMs: 1000,
    backoffMaxMs: 5000,
  };
  const at = (ms: number) => new Date(1_000_000 + ms);

  function attempts(count: number, start = 0) {
    let state;
    for (let i = 0; i < count; i++) {
      const decision = admitAttempt(state, at(start + i), limits);
      assert.equal(decision.admitted, true, `attempt ${i + 1} is admitted`);
      if (decision.admitted) state = decision.next;
    }
    return state!;
  }

  test('when failures stay under the limit, then every attempt is admitted and no block is set', () => {
    const state = attempts(2);
    assert.equal(state.failures, 2);
    assert.equal(state.blockedUntil, null);
  });

  test('when the limit is reached, then the next attempt must wait and is told how long', () => {
    const state = attempts(3);
    assert.deepEqual(state.blockedUntil, at(2 + 1000));
    const refused = admitAttempt(state, at(500), limits);
    assert.deepEqual(refused, { admitted: false, retryAfterSeconds: 1 });
  });

  test('when failures keep coming after each wait, then the wait doubles up to the cap', () => {
    assert.deepEqual(
      [3, 4, 5, 6, 7, 20, 2000].map((failures) => backoffMs(failures, limits)),
      [1000, 2000, 4000, 5000, 5000, 5000, 5000],
    );
    const blocked = attempts(3);
    const after = admitAttempt(blocked, at(1002), limits);
    assert.ok(after.admitted);
    assert.deepEqual(after.next.blockedUntil, at(1002 + 2000));
  });

  test('when the window has passed and the block is over, then the count starts again', () => {
    const blocked = attempts(3);
    const later = admitAttempt(blocked, at(60_000 + 10), limits);
    assert.ok(later.admitted);
    assert.equal(later.next.failures, 1);
    assert.equal(later.next.blockedUntil, null);
  });

  test('when an attempt succeeds, then its counted failure is taken back and a block below the limit lifted', () => {
    const blocked = attempts(3);
    assert.deepEqual(refundAttempt(blocked, limits), {
      failures: 2,
      windowStartedAt: blocked.windowStartedAt,
      blockedUntil: null,
    });
  });
});
