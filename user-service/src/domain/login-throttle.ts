export interface ThrottleLimits {
  /** Attempts allowed in a window before each further one must wait. */
  maxFailures: number;
  /** A quiet window forgets the count, so nobody is locked out for good. */
  windowMs: number;
  /** The first wait; each further attempt doubles it, up to `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface ThrottleState {
  failures: number;
  windowStartedAt: Date;
  blockedUntil: Date | null;
}

export type AttemptDecision =
  { admitted: true; next: ThrottleState } | { admitted: false; retryAfterSeconds: number };

export function backoffMs(failures: number, limits: ThrottleLimits): number {
  const doublings = Math.max(0, failures - limits.maxFailures);
  return Math.min(limits.backoffBaseMs * 2 ** doublings, limits.backoffMaxMs);
}

/**
 * Whether a login attempt may go ahead, and the state after counting it. An admitted attempt is
 * counted as a failure before the password is checked (and refunded if it succeeds), so a burst of
 * parallel guesses cannot all slip in on the same stale count.
 */
export function admitAttempt(
  state: ThrottleState | undefined,
  now: Date,
  limits: ThrottleLimits,
): AttemptDecision {
  if (state?.blockedUntil && state.blockedUntil.getTime() > now.getTime()) {
    const waitMs = state.blockedUntil.getTime() - now.getTime();
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
  const windowOpen =
    state !== undefined && now.getTime() - state.windowStartedAt.getTime() < limits.windowMs;
  const failures = (windowOpen ? state.failures : 0) + 1;
  const windowStartedAt = windowOpen ? state.windowStartedAt : now;
  const blockedUntil =
    failures >= limits.maxFailures ? new Date(now.getTime() + backoffMs(failures, limits)) : null;
  return { admitted: true, next: { failures, windowStartedAt, blockedUntil } };
}

/** Takes back the failure counted for an attempt that turned out to be a correct password. */
export function refundAttempt(state: ThrottleState, limits: ThrottleLimits): ThrottleState {
  const failures = Math.max(0, state.failures - 1);
  return {
    failures,
    windowStartedAt: state.windowStartedAt,
    blockedUntil: failures >= limits.maxFailures ? state.blockedUntil : null,
  };
}
