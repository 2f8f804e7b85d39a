import type { RateLimitPolicy, RateWindow } from './rate-window';

interface Tally {
  policy: RateLimitPolicy;
  /** The count Redis last answered for this window. */
  known: number;
  /** When this window closes, by the local clock. */
  endsAt: number;
  /** When Redis last answered. */
  learnedAt: number;
  /** Hits admitted here and not yet sent to Redis. */
  unsent: number;
}

export interface TallySettings {
  /** How old Redis's last answer may be for a request to be judged from it. */
  freshMs: number;
  /** The share of a limit below which requests may be judged locally; nearer it, Redis decides. */
  localShare: number;
}

/**
 * This replica's view of shared rate-limit counters: the count Redis last answered for each
 * window, plus the hits admitted here since and not yet sent.
 *
 * A request may be judged from that view, and its hit sent later in a batch, only while the
 * answer is fresh (`freshMs`) and the count stays under `localShare` of the limit; otherwise
 * the caller asks Redis and waits. Near a limit every verdict is therefore Redis's own, so the
 * limit is exceeded only by hits that other replicas admitted locally and had not yet sent when
 * Redis answered (a few milliseconds' worth each, and never past the limit's local share).
 */
export class Tallies {
  private readonly tallies = new Map<string, Tally>();
  private lastSweep: number;

  constructor(
    private readonly now: () => number,
    private readonly settings: TallySettings = { freshMs: 1000, localShare: 0.9 },
  ) {
    this.lastSweep = now();
  }

  /**
   * Counts one hit here and returns the window as this replica sees it, when the request may be
   * judged locally; undefined (and nothing counted) when Redis must decide.
   */
  countLocally(key: string, policy: RateLimitPolicy): RateWindow | undefined {
    const tally = this.tallies.get(key);
    const now = this.now();
    if (!tally || tally.policy !== policy || now >= tally.endsAt) return undefined;
    if (now - tally.learnedAt > this.settings.freshMs) return undefined;
    const hits = tally.known + tally.unsent + 1;
    if (hits > Math.floor(policy.limit * this.settings.localShare)) return undefined;
    tally.unsent += 1;
    return { hits, remainingMs: tally.endsAt - now };
  }

  /** The hits of `key` admitted here and not yet sent, now to be sent by the caller. */
  takeUnsentOf(key: string): number {
    const tally = this.tallies.get(key);
    if (!tally) return 0;
    const unsent = tally.unsent;
    tally.unsent = 0;
    return unsent;
  }

  /** Every tally's unsent hits, for one batch to Redis. */
  takeUnsent(): { key: string; policy: RateLimitPolicy; hits: number }[] {
    const batch = [];
    for (const [key, tally] of this.tallies) {
      if (tally.unsent === 0) continue;
      batch.push({ key, policy: tally.policy, hits: tally.unsent });
      tally.unsent = 0;
    }
    return batch;
  }

  /**
   * Redis's answer for `key` (its count with every hit sent so far); returns the window with the
   * hits admitted here since added.
   */
  learn(key: string, policy: RateLimitPolicy, window: RateWindow): RateWindow {
    const now = this.now();
    this.sweep(now);
    const unsent = this.tallies.get(key)?.unsent ?? 0;
    this.tallies.set(key, {
      policy,
      known: window.hits,
      endsAt: now + window.remainingMs,
      learnedAt: now,
      unsent,
    });
    return { hits: window.hits + unsent, remainingMs: window.remainingMs };
  }

  /** Drops what is known of these keys (their batch could not be sent: Redis decides next). */
  forget(keys: string[]): void {
    for (const key of keys) this.tallies.delete(key);
  }

  get size(): number {
    return this.tallies.size;
  }

  /** Closed windows are dropped once a second, so clients seen once do not pile up. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.settings.freshMs) return;
    this.lastSweep = now;
    for (const [key, tally] of this.tallies) {
      if (now >= tally.endsAt && tally.unsent === 0) this.tallies.delete(key);
    }
  }
}
