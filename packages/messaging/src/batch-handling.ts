import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Pool } from '@shop/postgres';
import { withTraceContext, type Logger, type TraceContext } from '@shop/service-kit';
import type { EventCatalog } from './catalog';
import { confirmPublish } from './confirm-publish';
import {
  attemptsSoFar,
  describeError,
  parseDelivery,
  republishedProperties,
  RETRY_HEADERS,
  withoutBrokerHeaders,
} from './delivery';
import {
  routeFailure,
  type DeathReason,
  type FailureRoute,
  type RetryPolicy,
} from './failure-routing';
import { handleInInbox, type InboxEvent, type InboxHandlers } from './inbox-transaction';
import type { ConsumeResult, MessagingMetrics } from './metrics';
import { deadQueueName, retryQueueName } from './topology';

export interface Delivery {
  channel: ConfirmChannel;
  message: ConsumeMessage;
  /** The delivery's own trace (its consume span): batches mix deliveries of many traces. */
  trace: TraceContext;
}

interface ValidDelivery extends Delivery, InboxEvent {
  trace: TraceContext;
}

type SettledRoute = Exclude<FailureRoute, { kind: 'hand-back' }>;

type Transaction =
  | { kind: 'handled'; fresh: Set<string> }
  | { kind: 'failed'; error: unknown; route: SettledRoute }
  /** The delivery's channel closed while it was held: the broker has requeued it for someone else. */
  | { kind: 'abandoned' };

export interface BatchHandlingOptions {
  pool: Pool;
  logger: Logger;
  metrics: MessagingMetrics;
  /** Logical queue name: the inbox's consumer. */
  name: string;
  /** Fully qualified queue name, whose retry and dead queues failures move to. */
  queue: string;
  catalog: EventCatalog;
  subscribed: ReadonlySet<string>;
  handlers: InboxHandlers;
  policy: RetryPolicy;
  /** First pause while the database is away (it then doubles), and before a hand-back. */
  unavailableDelayMs: number;
  publishTimeoutMs: number;
  /** True once a delivery can no longer be acked (consumer stopped, or its channel replaced). */
  isAbandoned(delivery: Delivery): boolean;
}

const MAX_UNAVAILABLE_DELAY_MS = 10_000;

/**
 * Handles one batch of deliveries: validates each event, runs the valid ones in one inbox
 * transaction, acks them after its commit, and moves each failure to where `routeFailure` says.
 */
export class BatchHandling {
  constructor(private readonly options: BatchHandlingOptions) {}

  async handle(batch: Delivery[]): Promise<void> {
    this.options.metrics.batchSize.observe(batch.length);
    const valid: ValidDelivery[] = [];
    const invalid: Promise<void>[] = [];
    for (const delivery of batch) {
      const parsed = parseDelivery(delivery.message, this.options.catalog, this.options.subscribed);
      if (parsed.valid) valid.push({ ...delivery, envelope: parsed.envelope, type: parsed.type });
      else
        invalid.push(
          withTraceContext(delivery.trace, () =>
            this.settle(delivery, parsed.type, () =>
              this.deadLetter(delivery, 'invalid-event', parsed.reason),
            ),
          ),
        );
    }
    if (valid.length > 0) await this.handleValid(valid);
    await Promise.all(invalid);
  }

  /**
   * One transaction for the whole batch. If any handler throws, the batch is rolled back and each
   * event is handled alone, so the one that fails is retried by itself and the rest commit once.
   */
  private async handleValid(batch: ValidDelivery[]): Promise<void> {
    const started = Date.now();
    const transaction = await this.transact(batch);
    if (transaction.kind === 'abandoned') return;
    if (transaction.kind === 'failed') {
      if (batch.length > 1) {
        this.options.logger.warn(
          { err: transaction.error, batch: batch.length },
          'A batch failed; handling its events one at a time',
        );
        for (const delivery of batch) await this.handleValid([delivery]);
        return;
      }
      const [delivery] = batch as [ValidDelivery];
      // The move republishes the message: in its own trace, so the retry and the dead letter
      // stay in the trace of the order that caused them.
      await withTraceContext(delivery.trace, () =>
        this.settle(delivery, delivery.type, () =>
          this.moveFailed(delivery, transaction.error, transaction.route),
        ),
      );
      return;
    }
    const seconds = (Date.now() - started) / 1000;
    for (const delivery of batch) {
      const result: ConsumeResult = transaction.fresh.delete(delivery.envelope.eventId)
        ? 'ok'
        : 'duplicate';
      this.ack(delivery);
      this.count(delivery.type, result, seconds);
    }
  }

  /**
   * Runs the inbox transaction until it commits or fails for a reason of the events' own. While
   * `routeFailure` hands them back (the database is away), they are held unacked, so no attempt
   * is spent and the broker sends no more than the prefetch, and tried again with a growing
   * pause, until the database is back or their channel closes.
   */
  private async transact(batch: ValidDelivery[]): Promise<Transaction> {
    const { metrics, logger } = this.options;
    let failures = 0;
    try {
      for (;;) {
        try {
          const fresh = await handleInInbox(
            this.options.pool,
            this.options.name,
            batch,
            this.options.handlers,
          );
          return { kind: 'handled', fresh };
        } catch (error) {
          // Handing back does not depend on attempts, so the first event's count serves the
          // batch; a failed batch of several is routed again event by event.
          const route = routeFailure(error, attemptsSoFar(batch[0]!.message), this.options.policy);
          if (route.kind !== 'hand-back') return { kind: 'failed', error, route };
          if (failures === 0) {
            metrics.held.inc(batch.length);
            logger.warn(
              { err: error instanceof Error ? error.cause : error, held: batch.length },
              'Inbox unavailable; holding the events until the database is back',
            );
          }
          const delayMs = Math.min(
            this.options.unavailableDelayMs * 2 ** failures,
            MAX_UNAVAILABLE_DELAY_MS,
          );
          failures += 1;
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          if (batch.some((delivery) => this.options.isAbandoned(delivery)))
            return { kind: 'abandoned' };
        }
      }
    } finally {
      if (failures > 0) metrics.held.dec(batch.length);
    }
  }

  private count(type: string, result: ConsumeResult, seconds: number) {
    this.options.metrics.consumed.inc({ event_type: type, result });
    this.options.metrics.handlerDuration.observe({ event_type: type, result }, seconds);
  }

  /**
   * Runs a move to a retry or dead queue and counts it. If even the move fails (broker trouble),
   * the delivery stays unacked and is handed back after a pause, never in a hot loop.
   */
  private async settle(
    delivery: Delivery,
    type: string,
    move: () => Promise<ConsumeResult>,
  ): Promise<void> {
    const started = Date.now();
    try {
      const result = await move();
      this.count(type, result, (Date.now() - started) / 1000);
    } catch (error) {
      this.options.logger.error(
        { err: error },
        'Could not settle a delivery; handing it back later',
      );
      await this.handBack(delivery);
    }
  }

  private async moveFailed(
    delivery: ValidDelivery,
    error: unknown,
    route: SettledRoute,
  ): Promise<ConsumeResult> {
    this.options.logger.warn(
      { err: error, eventId: delivery.envelope.eventId, attempts: route.attempts },
      'Event handler failed',
    );
    if (route.kind === 'dead-letter')
      return this.deadLetter(delivery, route.reason, describeError(error), route.attempts);
    await this.moveTo(delivery, retryQueueName(this.options.queue, route.step), {
      [RETRY_HEADERS.attempts]: route.attempts,
      [RETRY_HEADERS.lastError]: describeError(error),
    });
    return 'retried';
  }

  /** Moves the message to `<queue>.dead` with why (confirmed), then acks it; the queue goes on. */
  private async deadLetter(
    delivery: Delivery,
    reason: DeathReason,
    error: string,
    attempts = attemptsSoFar(delivery.message),
  ): Promise<ConsumeResult> {
    this.options.logger.error(
      { reason, error, messageId: delivery.message.properties.messageId },
      'Event dead-lettered',
    );
    await this.moveTo(delivery, deadQueueName(this.options.queue), {
      [RETRY_HEADERS.attempts]: attempts,
      [RETRY_HEADERS.deathReason]: reason,
      [RETRY_HEADERS.lastError]: error,
      [RETRY_HEADERS.originalQueue]: this.options.queue,
    });
    return 'dead-lettered';
  }

  /**
   * Republishes to `queue` (confirmed), then acks. Why not nack-and-requeue: that redelivers at
   * once, a hot loop against a dependency that is down. Why republish rather than nack into a
   * dead-letter exchange: only a publish can record the attempt count and error.
   */
  private async moveTo(delivery: Delivery, queue: string, headers: Record<string, unknown>) {
    const { channel, message } = delivery;
    const { properties } = message;
    const republished = republishedProperties(properties, {
      ...withoutBrokerHeaders(properties.headers),
      ...headers,
    });
    // Publish with confirm first, ack second: a crash in between duplicates, never loses.
    await confirmPublish(
      channel,
      '',
      queue,
      message.content,
      republished,
      this.options.publishTimeoutMs,
    );
    this.ack(delivery);
  }

  private ack({ channel, message }: Delivery) {
    try {
      channel.ack(message);
    } catch (error) {
      // The channel died under us: the broker redelivers the message and the inbox absorbs it.
      this.options.logger.warn({ err: error }, 'Ack failed; the event will be redelivered');
    }
  }

  private async handBack({ channel, message }: Delivery) {
    await new Promise((resolve) => setTimeout(resolve, this.options.unavailableDelayMs));
    try {
      channel.nack(message, false, true);
    } catch {
      // Channel already closed: the broker has requeued the message itself.
    }
  }
}
