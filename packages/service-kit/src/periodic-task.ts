import type { Logger } from './logger';

/** `more`: the pass stopped at a batch limit, so the next one runs at once instead of a tick later. */
export type PassOutcome = 'done' | 'more';

export interface PeriodicTaskOptions {
  /** Names the task in its log lines ("outbox relay", "pending-order sweeper"). */
  name: string;
  logger: Logger;
  everyMs: number;
  /**
   * One pass. The signal aborts when `stop()` is called, so a pass that loops or waits can end
   * early; `stop()` waits for it either way.
   */
  run: (signal: AbortSignal) => Promise<PassOutcome | void>;
  /** The first pass at once rather than `everyMs` after the start. */
  runAtStart?: boolean;
  /**
   * After a nudge, wait this long before the pass: nudges that arrive meanwhile fold into that one
   * pass instead of one pass each.
   */
  nudgeDelayMs?: number;
  /** After consecutive failed passes the wait doubles from `everyMs` up to this (default everyMs). */
  maxBackoffMs?: number;
}

export interface PeriodicTask {
  /**
   * Runs the next pass soon instead of at the next tick; during a pass, another follows it. While
   * passes fail, a nudge changes nothing: the backoff is there to spare the failing dependency.
   */
  nudge(): void;
  /** No pass starts after this; resolves once the one running (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * The one timer loop of the services: relays, sweepers, pruners. Passes never overlap; a failing
 * pass is logged once when an outage starts and once when it ends, not on every tick.
 */
export function startPeriodicTask(options: PeriodicTaskOptions): PeriodicTask {
  const { name, logger, everyMs } = options;
  const nudgeDelayMs = options.nudgeDelayMs ?? 0;
  const maxBackoffMs = Math.max(options.maxBackoffMs ?? everyMs, everyMs);
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let nudgePending = false;
  let nudgeScheduled = false;
  let failures = 0;

  function schedule(delayMs: number) {
    clearTimeout(timer);
    // A forgotten task must not be what keeps a process (or a test run) alive.
    timer = setTimeout(startPass, delayMs).unref();
  }

  function startPass() {
    timer = undefined;
    nudgeScheduled = false;
    nudgePending = false;
    running = runPass().then((nextDelayMs) => {
      running = undefined;
      if (!stopping.signal.aborted) schedule(nextDelayMs);
    });
  }

  /** Runs one pass and says how long to wait before the next. */
  async function runPass(): Promise<number> {
    try {
      const outcome = await options.run(stopping.signal);
      if (failures > 0) logger.info({ task: name, failedPasses: failures }, `${name} works again`);
      failures = 0;
      if (outcome === 'more') return 0;
      return nudgePending ? nudgeDelayMs : everyMs;
    } catch (error) {
      failures += 1;
      if (failures === 1) {
        logger.warn({ err: error, task: name }, `${name} failed; retrying until it works again`);
      } else {
        logger.debug({ err: error, task: name, failedPasses: failures }, `${name} still failing`);
      }
      return Math.min(everyMs * 2 ** failures, maxBackoffMs);
    }
  }

  schedule(options.runAtStart ? 0 : everyMs);
  return {
    nudge() {
      if (stopping.signal.aborted) return;
      if (running) {
        nudgePending = true;
        return;
      }
      if (failures > 0) return;
      // Already due soon: rescheduling would let a steady stream of nudges postpone the pass.
      if (nudgeScheduled) return;
      nudgeScheduled = true;
      schedule(nudgeDelayMs);
    },
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
