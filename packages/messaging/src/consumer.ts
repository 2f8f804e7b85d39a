import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Pool } from '@shop/postgres';
import {
  activeTraceContext,
  startPeriodicTask,
  withTraceContext,
  type Logger,
  type MetricsRegistry,
  type PeriodicTask,
  type TraceContext,
} from '@shop/service-kit';
import type { EventType } from './catalog';
import { confirmPublish, type ChannelOwner, type RabbitConnection } from './connection';
import {
  attemptsSoFar,
  describeError,
  parseDelivery,
  republishedProperties,
  RETRY_HEADERS,
  withoutBrokerHeaders,
} from './delivery';
import { routeFailure, type DeathReason } from './failure-routing';
import { pruneInbox } from './inbox';
import {
  handleInInbox,
  InboxUnavailableError,
  type BatchEventHandlers,
  type EventHandlers,
  type InboxEvent,
} from './inbox-transaction';
import { messagingMetrics, type ConsumeResult } from './metrics';
import { deadQueueName, declareConsumerTopology, qualify, retryQueueName } from './topology';
import { trackQueueDepth } from './queue-depth';

export { PermanentFailure, type DeathReason } from './failure-routing';
export { RETRY_HEADERS } from './delivery';
export type {
  BatchEventHandler,
  BatchEventHandlers,
  EventHandler,
  EventHandlers,
} from './inbox-transaction';

export interface ConsumerOptions {
  rabbit: RabbitConnection;
  pool: Pool;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Logical queue name, e.g. 'inventory-order-events' (namespaced by the connection). */
  queue: string;
  /** Binds the queue to these events' exchange and routing key. */
  events: EventType[];
  /** One handler per event type; types with a batch handler may leave theirs out. */
  handlers: EventHandlers;
  /** Handlers that take a run of events of one type at once (multi-row statements). */
  batchHandlers?: BatchEventHandlers;
  /** Most events handled in one transaction (default 50). */
  maxBatch?: number;
  /** Unacked deliveries the broker may hand us; twice maxBatch lets the next batch gather. */
  prefetch?: number;
  /** Handler runs before an event is dead-lettered; defaults to one more than the retry delays. */
  maxAttempts?: number;
  /** Wait before attempt 2, 3, ...; the last one repeats if maxAttempts asks for more. */
  retryDelaysMs?: number[];
  /** First wait before trying again when the database cannot take the work (it then doubles). */
  unavailableDelayMs?: number;
  /** How long republishing to a retry or dead queue may wait for the broker's confirm. */
  publishTimeoutMs?: number;
  /** Processed event ids are remembered this long (default 30 days), then pruned. */
  keepProcessedForMs?: number;
  /** How often this consumer prunes its inbox (default hourly). */
  pruneEveryMs?: number;
}

export interface Consumer {
  /** Resolves once the queue and its bindings exist and deliveries flow (tests publish after it). */
  waitUntilConsuming(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

// Growing delays (1 s, 5 s, 30 s, 2 min) ride out a restarting dependency without a hot loop,
// and ~2.5 min in total is short enough that a real bug reaches .dead and an operator quickly.
const DEFAULT_RETRY_DELAYS_MS = [1000, 5000, 30_000, 120_000];
// Far longer than any retry schedule or broker redelivery, so a pruned id can never come back.
const DEFAULT_KEEP_PROCESSED_MS = 30 * 24 * 60 * 60 * 1000;
const DEFAULT_PRUNE_EVERY_MS = 60 * 60 * 1000;
// 50 events make one transaction of a few milliseconds: big enough that commits stop being the
// cost (bench/README.md, pipeline), small enough that one slow batch holds little back.
const DEFAULT_MAX_BATCH = 50;
const MAX_UNAVAILABLE_DELAY_MS = 10_000;

interface Delivery {
  channel: ConfirmChannel;
  message: ConsumeMessage;
  /** The delivery's own trace (its consume span): batches mix deliveries of many traces. */
  trace: TraceContext;
}

interface ValidDelivery extends Delivery, InboxEvent {
  trace: TraceContext;
}

/** The delivery's channel closed while we waited: the broker has requeued it for someone else. */
class DeliveryAbandoned extends Error {}

/**
 * Consumes one queue: validates each event, runs handlers for a batch of deliveries in one
 * transaction that also records them in the inbox, and acks only after that commit (or after a
 * confirmed move to a retry or dead queue). Batches form by themselves: while one is in its
 * transaction the next deliveries gather, so a quiet queue answers each event at once and a busy
 * one pays one commit per batch. See the README for the topology and the retry choices.
 */
export function startConsumer(options: ConsumerOptions): Consumer {
  const consumer = new EventConsumer(options);
  consumer.start();
  return consumer;
}

class EventConsumer implements ChannelOwner {
  private readonly rabbit: RabbitConnection;
  private readonly logger: Logger;
  private readonly metrics: ReturnType<typeof messagingMetrics>;
  private readonly queue: string;
  private readonly subscribed: Set<EventType>;
  private readonly retryDelaysMs: number[];
  private readonly maxAttempts: number;
  private readonly maxBatch: number;
  private readonly prefetch: number;
  private readonly unavailableDelayMs: number;
  private readonly publishTimeoutMs: number;
  private channel: ConfirmChannel | null = null;
  private consumerTag: string | null = null;
  private attaching: { model: ChannelModel; done: Promise<void> } | null = null;
  private reattachTimer: NodeJS.Timeout | null = null;
  private pruner: PeriodicTask | null = null;
  private reattachFailures = 0;
  private stopped = false;
  private detach: () => void = () => undefined;
  private untrackDepth: () => void = () => undefined;
  private gathering: Delivery[] = [];
  private running: Promise<void> | null = null;
  private pumpScheduled = false;
  private readonly consumingWaiters = new Set<() => void>();

  constructor(private readonly options: ConsumerOptions) {
    this.rabbit = options.rabbit;
    this.logger = options.logger.child({ component: 'consumer', queue: options.queue });
    this.metrics = messagingMetrics(options.metrics);
    this.queue = qualify(options.rabbit.namespace, options.queue);
    this.subscribed = new Set(options.events);
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.maxAttempts = options.maxAttempts ?? this.retryDelaysMs.length + 1;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.prefetch = options.prefetch ?? this.maxBatch * 2;
    this.unavailableDelayMs = options.unavailableDelayMs ?? 1000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    if (this.maxAttempts < 1) throw new Error('maxAttempts must be at least 1');
    if (this.maxBatch < 1) throw new Error('maxBatch must be at least 1');
    if (this.maxAttempts > 1 && this.retryDelaysMs.length === 0)
      throw new Error('retryDelaysMs must not be empty when maxAttempts > 1');
    for (const type of options.events) {
      if (!options.handlers[type] && !options.batchHandlers?.[type])
        throw new Error(`No handler for ${type} on ${options.queue}`);
    }
  }

  start() {
    this.detach = this.rabbit.addChannelOwner(this);
    this.untrackDepth = trackQueueDepth(this.options.metrics, this.rabbit, [
      this.queue,
      ...this.retryDelaysMs.map((_, index) => retryQueueName(this.queue, index + 1)),
      deadQueueName(this.queue),
    ]);
    const keepMs = this.options.keepProcessedForMs ?? DEFAULT_KEEP_PROCESSED_MS;
    this.pruner = startPeriodicTask({
      name: 'inbox pruning',
      logger: this.logger,
      everyMs: this.options.pruneEveryMs ?? DEFAULT_PRUNE_EVERY_MS,
      run: async () => {
        const pruned = await pruneInbox(this.options.pool, this.options.queue, keepMs);
        if (pruned > 0) this.logger.info({ pruned }, 'Pruned old inbox entries');
      },
    });
  }

  attach(model: ChannelModel): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.attaching?.model === model) return this.attaching.done;
    const done = this.openChannel(model).catch((error: unknown) => {
      this.logger.error({ err: error }, setupFailureMessage(error, this.queue));
      this.scheduleReattach();
    });
    this.attaching = { model, done };
    return done;
  }

  waitUntilConsuming(timeoutMs = 10_000): Promise<void> {
    if (this.consumerTag) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onConsuming = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.consumingWaiters.delete(onConsuming);
        reject(new Error(`Not consuming ${this.options.queue} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.consumingWaiters.add(onConsuming);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.detach();
    this.untrackDepth();
    if (this.reattachTimer) clearTimeout(this.reattachTimer);
    const pruning = this.pruner?.stop();
    const channel = this.channel;
    // Cancel first so no new deliveries arrive, let the running batch finish and ack, then
    // close; anything still unacked (the gathered next batch) goes back for another replica.
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    this.gathering = [];
    await this.running;
    this.channel = null;
    if (channel) await channel.close().catch(() => undefined);
    await pruning;
  }

  private async openChannel(model: ChannelModel) {
    const channel = await model.createConfirmChannel();
    // A channel error (e.g. PRECONDITION_FAILED) closes only this channel: log it, then reopen.
    channel.on('error', (error: unknown) =>
      this.logger.warn({ err: error }, 'Consumer channel error'),
    );
    channel.on('close', () => {
      // Deliveries of a closed channel can no longer be acked; the broker has requeued them.
      this.gathering = this.gathering.filter((delivery) => delivery.channel !== channel);
      if (this.channel !== channel) return;
      this.channel = null;
      this.consumerTag = null;
      this.attaching = null;
      this.scheduleReattach();
    });
    try {
      await channel.prefetch(this.prefetch);
      const retryQueues = this.retryDelaysMs.map((_, index) =>
        retryQueueName(this.queue, index + 1),
      );
      this.rabbit.recordQueues([this.queue, deadQueueName(this.queue), ...retryQueues]);
      await declareConsumerTopology(channel, {
        queue: this.queue,
        namespace: this.rabbit.namespace,
        events: this.options.events,
        retryDelaysMs: this.retryDelaysMs,
        queueType: this.rabbit.queueType,
      });
      this.channel = channel;
      const { consumerTag } = await channel.consume(this.queue, (message) => {
        // null: the broker cancelled us (queue deleted); reopening re-declares it.
        if (message === null) {
          void channel.close().catch(() => undefined);
          return;
        }
        this.gathering.push({ channel, message, trace: activeTraceContext() });
        this.schedulePump();
      });
      this.consumerTag = consumerTag;
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw error;
    }
    this.reattachFailures = 0;
    this.logger.info({ queueType: this.rabbit.queueType }, 'Consuming');
    for (const waiter of this.consumingWaiters) waiter();
    this.consumingWaiters.clear();
  }

  /**
   * Deliveries that arrived in one read from the socket are all pushed before the next turn of the
   * event loop, so waiting for it batches them at no cost in latency.
   */
  private schedulePump() {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Starts the next batch from what has gathered, unless one is running (it calls back). */
  private pump() {
    if (this.running || this.gathering.length === 0) return;
    const batch = this.gathering.splice(0, this.maxBatch);
    this.running = this.handleBatch(batch)
      .catch((error: unknown) => this.logger.error({ err: error }, 'Batch handling failed'))
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.pump();
      });
  }

  /**
   * Reopens the channel after a pause, on whichever connection is live then. While there is
   * none, the connection attaches us again itself when it is back.
   */
  private scheduleReattach() {
    if (this.stopped || this.reattachTimer) return;
    this.reattachFailures += 1;
    const delayMs = Math.min(this.unavailableDelayMs * 2 ** (this.reattachFailures - 1), 30_000);
    this.reattachTimer = setTimeout(() => {
      this.reattachTimer = null;
      const current = this.rabbit.currentConnection();
      if (this.stopped || !current || this.channel) return;
      this.attaching = null;
      void this.attach(current);
    }, delayMs);
  }

  private async handleBatch(batch: Delivery[]): Promise<void> {
    this.metrics.batchSize.observe(batch.length);
    const valid: ValidDelivery[] = [];
    const invalid: Promise<void>[] = [];
    for (const delivery of batch) {
      const parsed = parseDelivery(delivery.message, this.subscribed);
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
    const stopTimer = Date.now();
    let fresh: Set<string>;
    try {
      fresh = await this.whileDatabaseIsAway(batch, () =>
        handleInInbox(this.options.pool, this.options.queue, batch, {
          single: this.options.handlers,
          batch: this.options.batchHandlers ?? {},
        }),
      );
    } catch (error) {
      if (error instanceof DeliveryAbandoned) return;
      if (batch.length > 1) {
        this.logger.warn(
          { err: error, batch: batch.length },
          'A batch failed; handling its events one at a time',
        );
        for (const delivery of batch) await this.handleValid([delivery]);
        return;
      }
      const [delivery] = batch as [ValidDelivery];
      // The move republishes the message: in its own trace, so the retry and the dead letter
      // stay in the trace of the order that caused them.
      await withTraceContext(delivery.trace, () =>
        this.settle(delivery, delivery.type, () => this.routeFailed(delivery, error)),
      );
      return;
    }
    const seconds = (Date.now() - stopTimer) / 1000;
    for (const delivery of batch) {
      const result: ConsumeResult = fresh.delete(delivery.envelope.eventId) ? 'ok' : 'duplicate';
      this.ack(delivery);
      this.count(delivery.type, result, seconds);
    }
  }

  /**
   * Runs `work` until the database takes it. An unreachable database is not the events' fault:
   * they are held (unacked, so no attempt is spent and the broker sends no more than the
   * prefetch) and tried again with a growing pause, until it is back or their channel closes.
   */
  private async whileDatabaseIsAway<T>(batch: Delivery[], work: () => Promise<T>): Promise<T> {
    let failures = 0;
    try {
      for (;;) {
        try {
          return await work();
        } catch (error) {
          if (!(error instanceof InboxUnavailableError)) throw error;
          if (failures === 0) {
            this.metrics.held.inc(batch.length);
            this.logger.warn(
              { err: error.cause, held: batch.length },
              'Inbox unavailable; holding the events until the database is back',
            );
          }
          const delayMs = Math.min(
            this.unavailableDelayMs * 2 ** failures,
            MAX_UNAVAILABLE_DELAY_MS,
          );
          failures += 1;
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          if (this.stopped || batch.some((delivery) => delivery.channel !== this.channel))
            throw new DeliveryAbandoned();
        }
      }
    } finally {
      if (failures > 0) this.metrics.held.dec(batch.length);
    }
  }

  private count(type: string, result: ConsumeResult, seconds: number) {
    this.metrics.consumed.inc({ event_type: type, result });
    this.metrics.handlerDuration.observe({ event_type: type, result }, seconds);
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
      this.logger.error({ err: error }, 'Could not settle a delivery; handing it back later');
      await this.handBack(delivery);
    }
  }

  private async routeFailed(delivery: ValidDelivery, error: unknown): Promise<ConsumeResult> {
    const route = routeFailure(error, attemptsSoFar(delivery.message), {
      maxAttempts: this.maxAttempts,
      retrySteps: this.retryDelaysMs.length,
    });
    this.logger.warn(
      { err: error, eventId: delivery.envelope.eventId, attempts: route.attempts },
      'Event handler failed',
    );
    if (route.kind === 'dead-letter')
      return this.deadLetter(delivery, route.reason, describeError(error), route.attempts);
    await this.moveTo(delivery, retryQueueName(this.queue, route.step), {
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
    this.logger.error(
      { reason, error, messageId: delivery.message.properties.messageId },
      'Event dead-lettered',
    );
    await this.moveTo(delivery, deadQueueName(this.queue), {
      [RETRY_HEADERS.attempts]: attempts,
      [RETRY_HEADERS.deathReason]: reason,
      [RETRY_HEADERS.lastError]: error,
      [RETRY_HEADERS.originalQueue]: this.queue,
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
    await confirmPublish(channel, '', queue, message.content, republished, this.publishTimeoutMs);
    this.ack(delivery);
  }

  private ack({ channel, message }: Delivery) {
    try {
      channel.ack(message);
    } catch (error) {
      // The channel died under us: the broker redelivers the message and the inbox absorbs it.
      this.logger.warn({ err: error }, 'Ack failed; the event will be redelivered');
    }
  }

  private async handBack({ channel, message }: Delivery) {
    await new Promise((resolve) => setTimeout(resolve, this.unavailableDelayMs));
    try {
      channel.nack(message, false, true);
    } catch {
      // Channel already closed: the broker has requeued the message itself.
    }
  }
}

/** A queue declared before with another type cannot be redeclared: say what to do about it. */
function setupFailureMessage(error: unknown, queue: string): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/PRECONDITION_FAILED.*x-queue-type/.test(text))
    return (
      `Queue ${queue} exists with another type than RABBITMQ_QUEUE_TYPE asks for; a queue's ` +
      'type cannot change in place (packages/messaging/README.md, "Quorum queues"). Retrying'
    );
  return 'Consumer channel setup failed; retrying';
}
