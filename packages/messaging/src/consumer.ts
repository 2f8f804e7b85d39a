import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { z } from 'zod';
import type { Pool, PoolClient } from '@shop/postgres';
import { runWithRequestContext, type Logger, type MetricsRegistry } from '@shop/service-kit';
import { events, isEventType, type EventData, type EventType } from './catalog';
import { confirmPublish, type ChannelOwner, type RabbitConnection } from './connection';
import { envelopeSchema, type EventEnvelope } from './envelope';
import { pruneInbox, recordInInbox } from './inbox';
import { messagingMetrics, type ConsumeResult } from './metrics';
import { deadQueueName, declareConsumerTopology, qualify, retryQueueName } from './topology';

/** Throw from a handler when retrying cannot help (e.g. the event refers to nothing we know). */
export class PermanentFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentFailure';
  }
}

export type EventHandler<K extends EventType> = (
  event: EventEnvelope<EventData<K>>,
  tx: PoolClient,
) => Promise<void>;

export type EventHandlers = { [K in EventType]?: EventHandler<K> };

export interface ConsumerOptions {
  rabbit: RabbitConnection;
  pool: Pool;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Logical queue name, e.g. 'inventory-order-events' (namespaced by the connection). */
  queue: string;
  /** Binds the queue to these events' exchange and routing key. */
  events: EventType[];
  handlers: EventHandlers;
  /** Deliveries handled at once; each holds one pooled database connection while it runs. */
  prefetch?: number;
  /** Handler runs before an event is dead-lettered; defaults to one more than the retry delays. */
  maxAttempts?: number;
  /** Wait before attempt 2, 3, ...; the last one repeats if maxAttempts asks for more. */
  retryDelaysMs?: number[];
  /** Wait before handing a delivery back when the database or broker cannot take it. */
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

/** Headers we write on messages we move to a retry or dead queue. */
export const RETRY_HEADERS = {
  /** Failed handler runs so far. */
  attempts: 'x-attempts',
  deathReason: 'x-death-reason',
  lastError: 'x-last-error',
  originalQueue: 'x-original-queue',
} as const;

export type DeathReason = 'invalid-event' | 'permanent-failure' | 'max-attempts';

// Growing delays (1 s, 5 s, 30 s, 2 min) ride out a restarting dependency without a hot loop,
// and ~2.5 min in total is short enough that a real bug reaches .dead and an operator quickly.
const DEFAULT_RETRY_DELAYS_MS = [1000, 5000, 30_000, 120_000];
// Far longer than any retry schedule or broker redelivery, so a pruned id can never come back.
const DEFAULT_KEEP_PROCESSED_MS = 30 * 24 * 60 * 60 * 1000;
const DEFAULT_PRUNE_EVERY_MS = 60 * 60 * 1000;
const MAX_ERROR_TEXT = 1000;

class InboxUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The inbox transaction could not start', { cause });
    this.name = 'InboxUnavailableError';
  }
}

type ParsedDelivery =
  | { valid: true; envelope: EventEnvelope; type: EventType }
  | { valid: false; reason: string; type: string };

/**
 * Consumes one queue: validates each event, runs its handler in a transaction that also records
 * the event in the inbox, and acks only after that commit (or after a confirmed move to a retry
 * or dead queue). See the README for the topology and why each retry choice was made.
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
  private readonly prefetch: number;
  private readonly unavailableDelayMs: number;
  private readonly publishTimeoutMs: number;
  private channel: ConfirmChannel | null = null;
  private consumerTag: string | null = null;
  private attaching: { model: ChannelModel; done: Promise<void> } | null = null;
  private reattachTimer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private reattachFailures = 0;
  private stopped = false;
  private detach: () => void = () => undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly consumingWaiters = new Set<() => void>();

  constructor(private readonly options: ConsumerOptions) {
    this.rabbit = options.rabbit;
    this.logger = options.logger.child({ component: 'consumer', queue: options.queue });
    this.metrics = messagingMetrics(options.metrics);
    this.queue = qualify(options.rabbit.namespace, options.queue);
    this.subscribed = new Set(options.events);
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.maxAttempts = options.maxAttempts ?? this.retryDelaysMs.length + 1;
    this.prefetch = options.prefetch ?? 5;
    this.unavailableDelayMs = options.unavailableDelayMs ?? 1000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    if (this.maxAttempts < 1) throw new Error('maxAttempts must be at least 1');
    if (this.maxAttempts > 1 && this.retryDelaysMs.length === 0)
      throw new Error('retryDelaysMs must not be empty when maxAttempts > 1');
    for (const type of options.events) {
      if (!options.handlers[type]) throw new Error(`No handler for ${type} on ${options.queue}`);
    }
  }

  start() {
    this.detach = this.rabbit.addChannelOwner(this);
    const keepMs = this.options.keepProcessedForMs ?? DEFAULT_KEEP_PROCESSED_MS;
    this.pruneTimer = setInterval(() => {
      pruneInbox(this.options.pool, this.options.queue, keepMs)
        .then((pruned) => pruned > 0 && this.logger.info({ pruned }, 'Pruned old inbox entries'))
        .catch((error: unknown) => this.logger.warn({ err: error }, 'Inbox pruning failed'));
    }, this.options.pruneEveryMs ?? DEFAULT_PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  attach(model: ChannelModel): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.attaching?.model === model) return this.attaching.done;
    const done = this.openChannel(model).catch((error: unknown) => {
      this.logger.error({ err: error }, 'Consumer channel setup failed; retrying');
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
    if (this.reattachTimer) clearTimeout(this.reattachTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    const channel = this.channel;
    // Cancel first so no new deliveries arrive, let the running handlers finish and ack, then
    // close; anything still unacked goes back to the queue for another replica.
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    this.channel = null;
    if (channel) await channel.close().catch(() => undefined);
  }

  private async openChannel(model: ChannelModel) {
    const channel = await model.createConfirmChannel();
    // A channel error (e.g. PRECONDITION_FAILED) closes only this channel: log it, then reopen.
    channel.on('error', (error: unknown) =>
      this.logger.warn({ err: error }, 'Consumer channel error'),
    );
    channel.on('close', () => {
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
      });
      this.channel = channel;
      const { consumerTag } = await channel.consume(this.queue, (message) => {
        // null: the broker cancelled us (queue deleted); reopening re-declares it.
        if (message === null) {
          void channel.close().catch(() => undefined);
          return;
        }
        const handling = this.handleDelivery(channel, message);
        this.inFlight.add(handling);
        void handling.finally(() => this.inFlight.delete(handling));
      });
      this.consumerTag = consumerTag;
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw error;
    }
    this.reattachFailures = 0;
    this.logger.info('Consuming');
    for (const waiter of this.consumingWaiters) waiter();
    this.consumingWaiters.clear();
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

  private async handleDelivery(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const parsed = this.parse(message);
    const stopTimer = this.metrics.handlerDuration.startTimer({ event_type: parsed.type });
    let result: ConsumeResult | null;
    try {
      result = parsed.valid
        ? await this.process(channel, message, parsed.envelope, parsed.type)
        : await this.deadLetter(channel, message, 'invalid-event', parsed.reason);
    } catch (error) {
      // Only reached when even moving the message failed (broker trouble): it stays unacked and
      // comes back after a pause, never in a hot loop.
      this.logger.error({ err: error }, 'Could not settle a delivery; handing it back later');
      await this.handBack(channel, message);
      result = null;
    }
    if (result) {
      stopTimer({ result });
      this.metrics.consumed.inc({ event_type: parsed.type, result });
    }
  }

  private parse(message: ConsumeMessage): ParsedDelivery {
    let body: unknown;
    try {
      body = JSON.parse(message.content.toString('utf8'));
    } catch {
      return { valid: false, reason: 'body is not JSON', type: 'unknown' };
    }
    const envelope = envelopeSchema.safeParse(body);
    if (!envelope.success)
      return {
        valid: false,
        reason: `bad envelope: ${z.prettifyError(envelope.error)}`,
        type: 'unknown',
      };
    const { eventType } = envelope.data;
    if (!isEventType(eventType) || !this.subscribed.has(eventType))
      return { valid: false, reason: `no handler for event type ${eventType}`, type: 'unknown' };
    const data = events[eventType].schema.safeParse(envelope.data.data);
    if (!data.success)
      return {
        valid: false,
        reason: `invalid data: ${z.prettifyError(data.error)}`,
        type: eventType,
      };
    return { valid: true, envelope: { ...envelope.data, data: data.data }, type: eventType };
  }

  private async process(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    envelope: EventEnvelope,
    type: EventType,
  ): Promise<ConsumeResult> {
    try {
      const fresh = await this.runInInbox(envelope, type);
      this.ack(channel, message);
      return fresh ? 'ok' : 'duplicate';
    } catch (error) {
      if (error instanceof InboxUnavailableError) {
        // The database is away: not the event's fault, so it costs no attempt. Holding the
        // delivery for a pause also stops taking new ones until the database is back.
        this.logger.warn({ err: error.cause }, 'Inbox unavailable; handing the event back later');
        await this.handBack(channel, message);
        return 'retried';
      }
      const attempts = attemptsSoFar(message) + 1;
      this.logger.warn({ err: error, eventId: envelope.eventId, attempts }, 'Event handler failed');
      if (error instanceof PermanentFailure)
        return this.deadLetter(channel, message, 'permanent-failure', describe(error), attempts);
      if (attempts >= this.maxAttempts)
        return this.deadLetter(channel, message, 'max-attempts', describe(error), attempts);
      return this.retryLater(channel, message, describe(error), attempts);
    }
  }

  /** Handler and inbox row in one transaction: both happen, or neither. Returns false for a duplicate. */
  private async runInInbox(envelope: EventEnvelope, type: EventType): Promise<boolean> {
    let client: PoolClient;
    try {
      client = await this.options.pool.connect();
    } catch (error) {
      throw new InboxUnavailableError(error);
    }
    let broken: Error | undefined;
    try {
      let fresh: boolean;
      try {
        await client.query('BEGIN');
        fresh = await recordInInbox(client, this.options.queue, envelope.eventId, type);
      } catch (error) {
        throw new InboxUnavailableError(error);
      }
      if (!fresh) {
        await client.query('ROLLBACK');
        return false;
      }
      const handler = this.options.handlers[type] as EventHandler<EventType>;
      const run = () => handler(envelope as EventEnvelope<EventData<EventType>>, client);
      await (envelope.correlationId
        ? runWithRequestContext({ requestId: envelope.correlationId }, run)
        : run());
      const commit = await client.query('COMMIT');
      // A handler that swallowed a query error leaves the transaction aborted; Postgres then
      // answers COMMIT with ROLLBACK, and acking would lose the effect silently.
      if (commit.command === 'ROLLBACK') throw new Error('The handler transaction was aborted');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Moves the message to `<queue>.retry.<n>` (confirmed), then acks it. Why not nack-and-requeue:
   * that redelivers at once, a hot loop against a dependency that is down. Why republish rather
   * than nack into a dead-letter exchange: only a publish can record the attempt count and error.
   */
  private async retryLater(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    error: string,
    attempts: number,
  ): Promise<ConsumeResult> {
    const step = Math.min(attempts, this.retryDelaysMs.length);
    await this.moveTo(channel, message, retryQueueName(this.queue, step), {
      [RETRY_HEADERS.attempts]: attempts,
      [RETRY_HEADERS.lastError]: error,
    });
    return 'retried';
  }

  /** Moves the message to `<queue>.dead` with why (confirmed), then acks it; the queue goes on. */
  private async deadLetter(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    reason: DeathReason,
    error: string,
    attempts = attemptsSoFar(message),
  ): Promise<ConsumeResult> {
    this.logger.error(
      { reason, error, messageId: message.properties.messageId },
      'Event dead-lettered',
    );
    await this.moveTo(channel, message, deadQueueName(this.queue), {
      [RETRY_HEADERS.attempts]: attempts,
      [RETRY_HEADERS.deathReason]: reason,
      [RETRY_HEADERS.lastError]: error,
      [RETRY_HEADERS.originalQueue]: this.queue,
    });
    return 'dead-lettered';
  }

  private async moveTo(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    queue: string,
    headers: Record<string, unknown>,
  ) {
    const { properties } = message;
    const republished: Options.Publish = {
      persistent: true,
      contentType: properties.contentType as string | undefined,
      messageId: properties.messageId as string | undefined,
      correlationId: properties.correlationId as string | undefined,
      type: properties.type as string | undefined,
      timestamp: properties.timestamp as number | undefined,
      headers: { ...withoutBrokerHeaders(properties.headers), ...headers },
    };
    // Publish with confirm first, ack second: a crash in between duplicates, never loses.
    await confirmPublish(channel, '', queue, message.content, republished, this.publishTimeoutMs);
    this.ack(channel, message);
  }

  private ack(channel: ConfirmChannel, message: ConsumeMessage) {
    try {
      channel.ack(message);
    } catch (error) {
      // The channel died under us: the broker redelivers the message and the inbox absorbs it.
      this.logger.warn({ err: error }, 'Ack failed; the event will be redelivered');
    }
  }

  private async handBack(channel: ConfirmChannel, message: ConsumeMessage) {
    await new Promise((resolve) => setTimeout(resolve, this.unavailableDelayMs));
    try {
      channel.nack(message, false, true);
    } catch {
      // Channel already closed: the broker has requeued the message itself.
    }
  }
}

function attemptsSoFar(message: ConsumeMessage): number {
  const value = Number(message.properties.headers?.[RETRY_HEADERS.attempts] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/** RabbitMQ's own x-death history grows with each pass through a retry queue; ours is enough. */
function withoutBrokerHeaders(headers: Record<string, unknown> | undefined) {
  const {
    'x-death': _death,
    'x-first-death-exchange': _e,
    'x-first-death-queue': _q,
    'x-first-death-reason': _r,
    ...rest
  } = headers ?? {};
  return rest;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_TEXT);
}
