import type { Pool } from '@shop/postgres';
import {
  activeTraceContext,
  startPeriodicTask,
  type Logger,
  type MetricsRegistry,
  type PeriodicTask,
} from '@shop/service-kit';
import { BatchHandling, type Delivery } from './batch-handling';
import type { EventCatalog, EventType } from './catalog';
import type { RabbitConnection } from './connection';
import { ConsumerChannel } from './consumer-channel';
import { pruneInbox } from './inbox';
import type { BatchEventHandlers, EventHandlers, InboxHandlers } from './inbox-transaction';
import { messagingMetrics } from './metrics';
import { deadQueueName, qualify, retryQueueName } from './topology';
import { trackQueueDepth } from './queue-depth';

export { PermanentFailure, type DeathReason } from './failure-routing';
export { RETRY_HEADERS } from './delivery';
export type {
  BatchEventHandler,
  BatchEventHandlers,
  EventHandler,
  EventHandlers,
} from './inbox-transaction';

/** A consumer of `C`'s events: its event types and handlers are checked against the catalogue. */
export interface ConsumerOptions<C extends EventCatalog = EventCatalog> {
  rabbit: RabbitConnection<C>;
  pool: Pool;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Logical queue name, e.g. 'inventory-order-events' (namespaced by the connection). */
  queue: string;
  /** Binds the queue to these events' exchange and routing key. */
  events: NoInfer<EventType<C>>[];
  /** One handler per event type; types with a batch handler may leave theirs out. */
  handlers: NoInfer<EventHandlers<C>>;
  /** Handlers that take a run of events of one type at once (multi-row statements). */
  batchHandlers?: NoInfer<BatchEventHandlers<C>>;
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

/**
 * Consumes one queue: validates each event, runs handlers for a batch of deliveries in one
 * transaction that also records them in the inbox, and acks only after that commit (or after a
 * confirmed move to a retry or dead queue). Batches form by themselves: while one is in its
 * transaction the next deliveries gather, so a quiet queue answers each event at once and a busy
 * one pays one commit per batch. See the README for the topology and the retry choices.
 */
export function startConsumer<C extends EventCatalog>(options: ConsumerOptions<C>): Consumer {
  const consumer = new EventConsumer(options);
  consumer.start();
  return consumer;
}

class EventConsumer<C extends EventCatalog> implements Consumer {
  private readonly logger: Logger;
  private readonly queue: string;
  private readonly retryDelaysMs: number[];
  private readonly maxBatch: number;
  private readonly channel: ConsumerChannel;
  private readonly batches: BatchHandling;
  private pruner: PeriodicTask | null = null;
  private stopped = false;
  private untrackDepth: () => void = () => undefined;
  private gathering: Delivery[] = [];
  private running: Promise<void> | null = null;
  private pumpScheduled = false;

  constructor(private readonly options: ConsumerOptions<C>) {
    this.logger = options.logger.child({ component: 'consumer', queue: options.queue });
    this.queue = qualify(options.rabbit.namespace, options.queue);
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const maxAttempts = options.maxAttempts ?? this.retryDelaysMs.length + 1;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    const unavailableDelayMs = options.unavailableDelayMs ?? 1000;
    if (maxAttempts < 1) throw new Error('maxAttempts must be at least 1');
    if (this.maxBatch < 1) throw new Error('maxBatch must be at least 1');
    if (maxAttempts > 1 && this.retryDelaysMs.length === 0)
      throw new Error('retryDelaysMs must not be empty when maxAttempts > 1');
    // Their event types erased: each handler is only given data its own event's schema parsed.
    const handlers = {
      single: options.handlers,
      batch: options.batchHandlers ?? {},
    } as InboxHandlers;
    for (const type of options.events) {
      if (!handlers.single[type] && !handlers.batch[type])
        throw new Error(`No handler for ${type} on ${options.queue}`);
    }
    this.channel = new ConsumerChannel({
      rabbit: options.rabbit,
      logger: this.logger,
      name: options.queue,
      queue: this.queue,
      events: options.events,
      retryDelaysMs: this.retryDelaysMs,
      prefetch: options.prefetch ?? this.maxBatch * 2,
      reopenDelayMs: unavailableDelayMs,
      onDelivery: (channel, message) => {
        this.gathering.push({ channel, message, trace: activeTraceContext() });
        this.schedulePump();
      },
      // Deliveries of a closed channel can no longer be acked; the broker has requeued them.
      onClosed: (channel) => {
        this.gathering = this.gathering.filter((delivery) => delivery.channel !== channel);
      },
    });
    this.batches = new BatchHandling({
      pool: options.pool,
      logger: this.logger,
      metrics: messagingMetrics(options.metrics),
      name: options.queue,
      queue: this.queue,
      catalog: options.rabbit.catalog,
      subscribed: new Set(options.events),
      handlers,
      policy: { maxAttempts, retrySteps: this.retryDelaysMs.length },
      unavailableDelayMs,
      publishTimeoutMs: options.publishTimeoutMs ?? 10_000,
      isAbandoned: (delivery) => this.stopped || delivery.channel !== this.channel.current(),
    });
  }

  start() {
    this.channel.start();
    this.untrackDepth = trackQueueDepth(this.options.metrics, this.options.rabbit, [
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

  waitUntilConsuming(timeoutMs = 10_000): Promise<void> {
    return this.channel.waitUntilConsuming(timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.untrackDepth();
    const pruning = this.pruner?.stop();
    // Cancel first so no new deliveries arrive, let the running batch finish and ack, then
    // close; anything still unacked (the gathered next batch) goes back for another replica.
    await this.channel.stopConsuming();
    this.gathering = [];
    await this.running;
    await this.channel.close();
    await pruning;
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
    this.running = this.batches
      .handle(batch)
      .catch((error: unknown) => this.logger.error({ err: error }, 'Batch handling failed'))
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.pump();
      });
  }
}
