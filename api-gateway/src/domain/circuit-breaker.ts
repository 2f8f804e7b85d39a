export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitSettings {
  /** Consecutive failures (refused connections, timeouts) that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before letting one trial through. */
  resetTimeoutMs: number;
}

/**
 * The state of one upstream instance's circuit, driven by the proxy's events.
 *
 * Not opossum, on purpose: opossum wraps a function returning a promise, but a proxied request
 * is a stream whose outcome arrives later as an event (a response, an error, a timeout), so it
 * would need a promise built around each request only to feed the breaker. A few counters on an
 * injected clock say the same thing plainly and are unit-tested.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialStartedAt: number | undefined;
  private opened = false;

  constructor(
    private readonly settings: CircuitSettings,
    private readonly now: () => number,
  ) {}

  get state(): CircuitState {
    if (!this.opened) return 'closed';
    return this.now() - this.openedAt >= this.settings.resetTimeoutMs ? 'half-open' : 'open';
  }

  /** Whether a call may go out now. When half-open, one trial at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    // A trial whose outcome never came back (its caller hung up) must not block the circuit forever.
    const trialRunning =
      this.trialStartedAt !== undefined &&
      this.now() - this.trialStartedAt < this.settings.resetTimeoutMs;
    if (trialRunning) return false;
    this.trialStartedAt = this.now();
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.opened = false;
    this.trialStartedAt = undefined;
  }

  /**
   * The call ended for a reason that says nothing about the instance (the client hung up, sent
   * too much, or stalled its upload): no verdict, and a half-open trial slot is free again.
   */
  release(): void {
    this.trialStartedAt = undefined;
  }

  recordFailure(): void {
    this.failures++;
    this.trialStartedAt = undefined;
    if (this.opened || this.failures >= this.settings.failureThreshold) {
      this.opened = true;
      this.openedAt = this.now();
    }
  }
}
