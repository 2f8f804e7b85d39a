/**
 * Sessions Redis recently answered as not ended, by when it did. A request carrying one of
 * these may be judged without asking Redis again, so an ended session is refused by every
 * replica at most `freshMs` after user-service marks it (the brief allows a second). Sessions
 * are not kept past that: a replica remembers only the ones in use.
 */
export class LiveSessions {
  private readonly confirmedAt = new Map<string, number>();
  private lastSweep: number;

  constructor(
    private readonly now: () => number,
    private readonly freshMs: number,
  ) {
    this.lastSweep = now();
  }

  isFresh(sessionId: string): boolean {
    const at = this.confirmedAt.get(sessionId);
    return at !== undefined && this.now() - at < this.freshMs;
  }

  /** Redis answered that the session has not ended. */
  confirm(sessionId: string): void {
    const now = this.now();
    this.sweep(now);
    this.confirmedAt.set(sessionId, now);
  }

  get size(): number {
    return this.confirmedAt.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.freshMs) return;
    this.lastSweep = now;
    for (const [sessionId, at] of this.confirmedAt) {
      if (now - at >= this.freshMs) this.confirmedAt.delete(sessionId);
    }
  }
}
