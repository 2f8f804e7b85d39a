import { withTransaction, type Pool } from '@shop/postgres';
import {
  runInTraceContext,
  startPeriodicTask,
  type Logger,
  type MetricsRegistry,
  type PassOutcome,
  type TraceCarrier,
} from '@shop/service-kit';
import type { RabbitConnection } from './connection';
import { UnroutableEventError } from './errors';
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

  let lastUnroutableWarning = -Infinity;
  function warnUnroutable(count: number, claimed: number, first: unknown): void {
    if (Date.now() - lastUnroutableWarning < 60_000) return;
    lastUnroutableWarning = Date.now();
    logger.warn(
      { err: first, unroutable: count, claimed },
      'outbox events wait for a queue to take them; they stay pending until one does',
    );
  }

  async function relayBatch(): Promise<{ claimed: number; failures: unknown[] }> {
    return withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<PendingRow>(
        `SELECT id, envelope, trace_context FROM outbox WHERE published_at IS NULL
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (rows.length === 0) return { claimed: 0, failures: [] };
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
      }
      return { claimed: rows.length, failures };
    });
  }

  /** One claim and publish; a failed publish fails the pass, after its attempt is recorded. */
  async function relayPass(signal: AbortSignal): Promise<PassOutcome> {
    if (!rabbit.isConnected()) {
      // Waits for the reconnect instead of claiming rows it cannot publish.
      const connected = await Promise.race([
        rabbit.waitUntilConnected(intervalMs).then(
          () => true,
          () => false,
        ),
        whenAborted(signal).then(() => false),
      ]);
      if (!connected) return 'done';
    }
    const { claimed, failures } = await relayBatch();
    // No queue takes these yet (a consumer not yet deployed): the broker is fine, so this is not
    // a failure to back off from; they are tried again every interval, and said once a minute.
    if (failures.length > 0 && failures.every((error) => error instanceof UnroutableEventError)) {
      warnUnroutable(failures.length, claimed, failures[0]);
      return 'done';
    }
    if (failures.length > 0) {
      throw new Error(`${failures.length} of ${claimed} outbox events not published`, {
        cause: failures[0],
      });
    }
    return claimed === batchSize ? 'more' : 'done';
  }

  const keepSentForMs = options.keepSentForMs ?? SEVEN_DAYS_MS;

  /** Deletes sent rows past their retention, in small batches so no long lock is taken. */
  async function pruneSent(signal: AbortSignal) {
    for (;;) {
      const { rowCount } = await pool.query(
        `DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1)
           LIMIT $2)`,
        [keepSentForMs / 1000, PRUNE_BATCH],
      );
      if ((rowCount ?? 0) < PRUNE_BATCH || signal.aborted) return;
    }
  }

  const relay = startPeriodicTask({
    name: 'outbox relay',
    logger,
    everyMs: intervalMs,
    runAtStart: true,
    // A wake that lands while a batch is running is remembered (its row may have committed after
    // our SELECT); the linger folds the wakes of concurrent commits into one claim.
    nudgeDelayMs: lingerMs,
    maxBackoffMs,
    run: relayPass,
  });
  const pruner = startPeriodicTask({
    name: 'outbox pruning',
    logger,
    everyMs: PRUNE_EVERY_MS,
    runAtStart: true,
    run: pruneSent,
  });
  const stopWaking = onOutboxCommit(() => relay.nudge());

  return {
    async stop() {
      stopWaking();
      await Promise.all([relay.stop(), pruner.stop()]);
      gaugeEntry.relays -= 1;
      if (gaugeEntry.relays === 0) metrics.outboxPools.delete(pool);
    },
  };
}

function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}
