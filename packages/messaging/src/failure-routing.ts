import { InboxUnavailableError } from './inbox-transaction';

/** Throw from a handler when retrying cannot help (e.g. the event refers to nothing we know). */
export class PermanentFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentFailure';
  }
}

export type DeathReason = 'invalid-event' | 'permanent-failure' | 'max-attempts';

export type FailureRoute =
  /** Wait in `<queue>.retry.<step>`, then run again. */
  | { kind: 'retry'; step: number; attempts: number }
  | { kind: 'dead-letter'; reason: DeathReason; attempts: number }
  /**
   * Not the event's fault (its database could not take the work): no attempt is spent, and the
   * delivery is kept unacked, to run again after a pause.
   */
  | { kind: 'hand-back' };

export interface RetryPolicy {
  maxAttempts: number;
  /** How many retry queues there are; the last one serves every attempt past it. */
  retrySteps: number;
}

/**
 * Where a delivery whose handling threw goes next: the decision alone, so it is tested without a
 * broker. `attemptsBefore` counts the failed runs before this one.
 */
export function routeFailure(
  error: unknown,
  attemptsBefore: number,
  policy: RetryPolicy,
): FailureRoute {
  if (error instanceof InboxUnavailableError) return { kind: 'hand-back' };
  const attempts = attemptsBefore + 1;
  if (error instanceof PermanentFailure)
    return { kind: 'dead-letter', reason: 'permanent-failure', attempts };
  if (attempts >= policy.maxAttempts)
    return { kind: 'dead-letter', reason: 'max-attempts', attempts };
  return { kind: 'retry', step: Math.min(attempts, policy.retrySteps), attempts };
}
