import { withTransaction, type Pool } from '@shop/postgres';
import {
  runInTraceContext,
  type Logger,
  type MetricsRegistry,
  type TraceCarrier,
} from '@shop/service-kit';
import type { RabbitConnection } from './connection';
import type { EventEnvelope } from './envelope';
import { messagingMetrics } from './metrics';
import { onOutboxCommit } from './outbox';

export interface OutboxRelayOptions {
  pool: Pool;
  rabbit: RabbitConnection;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Poll period when idle; a commit of this process's `enqueueEvent` wakes the relay sooner. */
  intervalMs?: number;
  batchSize?: number;
  /** Longest wait between attempts while publishing or the database keeps failing. */
  maxBackoffMs?: number;
  /**
   * After a wake, wait this long before claiming (default 5 ms): the commits meanwhile fold into
   * one claim, so a busy service publishes batches instead of one row per wake.
   */
  lingerMs?: number;
  /** Sent rows are kept this long for auditing and replays, then deleted. */
  keepSentForMs?: number;
}

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;
// Pruning is housekeeping, not delivery: once an hour per replica is plenty.
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 1000;

export interface OutboxRelay {
  stop(): Promise<void>;
}

interface PendingRow {
  id: number;
  envelope: EventEnvelope;
  trace_context: TraceCarrier | null;
}

/**
 * Publishes pending outbox rows in id order, with confirms, and marks them sent.
 *
 * Rows are claimed with `FOR UPDATE SKIP LOCKED` in a transaction held while the batch is being
 * published: a second replica skips the claimed rows instead of publishing them again, and if this
 * process dies mid-batch the locks vanish with its connection and the rows are simply pending
 * again. A row is marked sent only after the broker confirmed it, so nothing is lost; the rare
 * duplicate (confirmed, then the commit failed) is absorbed by the consumers' inbox.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { pool, rabbit } = options;
  const logger = options.logger.child({ component: 'outbox-relay' });
  const intervalMs = options.intervalMs ?? 1000;
  const batchSize = options.batchSize ?? 500;
  const lingerMs = options.lingerMs ?? 5;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const metrics = messagingMetrics(options.metrics);
  const gaugeEntry = metrics.outboxPools.get(pool) ?? {
    relays: 0,
    lastCount: 0,
    lastAgeSeconds: 0,
  };
  gaugeEntry.relays += 1;
  metrics.outboxPools.set(pool, gaugeEntry);

  let stopped = false;
  let signalStop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (signalStop = resolve));
  // A wake that lands while a batch is running must not be lost (its row may have committed
  // after our SELECT), so it is remembered until the next pause.
  let wakeRequested = false;
  let endPause: () => void = () => undefined;
  function wake() {
    wakeRequested = true;
    endPause();
  }

  const linger = () => new Promise<void>((resolve) => setTimeout(resolve, lingerMs));

  /** Waits `ms`; a wake cuts it short (after the linger) unless this is a backoff. */
  async function pause(ms: number, wakeable = true): Promise<void> {
    if (wakeable && wakeRequested) {
      wakeRequested = false;
      return linger();
    }
    let woken = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const cut = () => {
        if (!wakeable && !stopped) return;
        woken = !stopped;
        done();
      };
      function done() {
        clearTimeout(timer);
        if (endPause === cut) endPause = () => undefined;
        if (wakeable) wakeRequested = false;
        resolve();
      }
      endPause = cut;
    });
    if (woken && lingerMs > 0) await linger();
  }

  async function relayBatch(): Promise<{ claimed: number; failed: number }> {
    return withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<PendingRow>(
        `SELECT id, envelope, trace_context FROM outbox WHERE published_at IS NULL
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (rows.length === 0) return { claimed: 0, failed: 0 };
      // Published back to back on one confirm channel (so in order), then awaited together:
      // one round trip per batch instead of one per row.
      const results = await Promise.allSettled(
        // Each publish continues the trace of the work that wrote its row.
        rows.map((row) =>
          runInTraceContext(row.trace_context, () => rabbit.publishEnvelope(row.envelope)),
        ),
      );
      const sent = rows.filter((_, index) => results[index]!.status === 'fulfilled');
      const failures = results.flatMap((result) =>
        result.status === 'rejected' ? [result.reason] : [],
      );
      if (sent.length > 0) {
        await tx.query(
          'UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])',
          [sent.map((row) => row.id)],
        );
      }
      if (failures.length > 0) {
        const failedIds = rows.filter((_, index) => results[index]!.status === 'rejected');
        await tx.query(
          'UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])',
          [failedIds.map((row) => row.id), String(failures[0])],
        );
        logger.warn({ err: failures[0], failed: failures.length }, 'Outbox events not published');
      }
      return { claimed: rows.length, failed: failures.length };
    });
  }

  const keepSentForMs = options.keepSentForMs ?? SEVEN_DAYS_MS;
  let lastPrunedAt = 0;

  /** Deletes sent rows past their retention, in small batches so no long lock is taken. */
  async function pruneSent() {
    if (Date.now() - lastPrunedAt < PRUNE_EVERY_MS) return;
    lastPrunedAt = Date.now();
    for (;;) {
      const { rowCount } = await pool.query(
        `DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1)
           LIMIT $2)`,
        [keepSentForMs / 1000, PRUNE_BATCH],
      );
      if ((rowCount ?? 0) < PRUNE_BATCH || stopped) return;
    }
  }

  async function run() {
    let failures = 0;
    while (!stopped) {
      if (!rabbit.isConnected()) {
        // Waits for the reconnect instead of claiming rows it cannot publish.
        await Promise.race([
          rabbit.waitUntilConnected(intervalMs).catch(() => undefined),
          stopSignal,
        ]);
        continue;
      }
      try {
        await pruneSent();
        const { claimed, failed } = await relayBatch();
        if (failed === 0) {
          failures = 0;
          if (claimed === batchSize) continue;
        } else {
          failures += 1;
        }
      } catch (error) {
        failures += 1;
        logger.warn({ err: error, failures }, 'Outbox relay failed; backing off');
      }
      if (failures === 0) await pause(intervalMs);
      else await pause(Math.min(intervalMs * 2 ** failures, maxBackoffMs), false);
    }
  }

  const stopWaking = onOutboxCommit(wake);
  const running = run();

  return {
    async stop() {
      stopped = true;
      stopWaking();
      wake();
      signalStop();
      await running;
      gaugeEntry.relays -= 1;
      if (gaugeEntry.relays === 0) metrics.outboxPools.delete(pool);
    },
  };
}
