/**
 * Sessions Redis recently answered as not ended, by when it did. A request carrying one of
 * these may be judged without asking Redis again, so an ended session is refused by every
 * replica at most `freshMs` after user-service marks it (the brief allows a second). Sessions
 * are not kept past that: a replica remembers only the ones in use.
 */
export class LiveSessions {
  private readonly confirmedAt = new Map<string, number>();
  /** When Redis last said a session had ended; kept as long as a confirmation could race it. */
  private readonly ended = new Map<string, number>();
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

  /**
   * Redis answered that the session had not ended, to a question asked at `askedAt`. An answer
   * to an older question than one already taken changes nothing, so replies arriving out of
   * order cannot bring back a session another reply has ended.
   */
  confirm(sessionId: string, askedAt: number): void {
    this.sweep(this.now());
    const endedAt = this.ended.get(sessionId);
    if (endedAt !== undefined && endedAt >= askedAt) return;
    const known = this.confirmedAt.get(sessionId);
    if (known === undefined || known < askedAt) this.confirmedAt.set(sessionId, askedAt);
  }

  /** Redis answered that the session has ended: no request of it is judged locally again. */
  end(sessionId: string): void {
    this.confirmedAt.delete(sessionId);
    this.ended.set(sessionId, this.now());
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
    for (const [sessionId, at] of this.ended) {
      if (now - at >= this.freshMs) this.ended.delete(sessionId);
    }
  }
}
