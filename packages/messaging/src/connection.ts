import amqp, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import type { Logger, MetricsRegistry } from '@shop/service-kit';
import { EXCHANGES, events, isEventType, type EventData, type EventType } from './catalog';
import { createEnvelope, type EnvelopeOptions, type EventEnvelope } from './envelope';
import { messagingMetrics, type MessagingMetrics } from './metrics';
import { declareExchanges, qualify, type QueueType } from './topology';
import { Waiters } from './waiters';

export interface ConnectRabbitOptions {
  url: string;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Prefixes every exchange and queue name ("<ns>.orders"), so tests are isolated. */
  namespace?: string;
  /** First wait before reconnecting; doubles on each failure up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** AMQP heartbeat, so a silently dead peer is noticed in seconds, not at the OS TCP timeout. */
  heartbeatSeconds?: number;
  /** How long a publish waits for a connection and then for the broker's confirm. */
  publishTimeoutMs?: number;
  /** The type consumers declare their work queues with (RABBITMQ_QUEUE_TYPE); quorum by default. */
  queueType?: QueueType;
}

/** Something that owns channels and must set them up again on every new connection (a consumer). */
export interface ChannelOwner {
  attach(connection: ChannelModel): Promise<void>;
}

export interface RabbitConnection {
  /** For /ready: false while the broker is unreachable. */
  isConnected(): boolean;
  waitUntilConnected(timeoutMs?: number): Promise<void>;
  /** Validates, wraps and publishes; resolves once the broker has confirmed the message. */
  publish<K extends EventType>(
    type: K,
    data: EventData<K>,
    opts?: EnvelopeOptions,
  ): Promise<EventEnvelope<EventData<K>>>;
  /** Publishes an envelope built earlier (the outbox relay); resolves on the broker's confirm. */
  publishEnvelope(envelope: EventEnvelope): Promise<void>;
  close(): Promise<void>;
  readonly namespace: string | undefined;
  readonly queueType: QueueType;
  readonly logger: Logger;
  readonly metrics: MessagingMetrics;
  /** The live connection, or null while disconnected. */
  currentConnection(): ChannelModel | null;
  /** Registers an owner: attached now if connected, and again after every reconnect. */
  addChannelOwner(owner: ChannelOwner): () => void;
  /** Remembers queues declared in this namespace, so `deleteTopology` can remove them. */
  recordQueues(queues: readonly string[]): void;
  /**
   * Tests only: deletes the namespace's exchanges and every queue any connection of this process
   * declared in it (so a connection behind a cut proxy needs no cleanup of its own). Refused
   * without a namespace.
   */
  deleteTopology(): Promise<void>;
}

export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/** A consumed event that no queue took: kept by its sender and published again later. */
export class UnroutableEventError extends Error {
  constructor(eventType: string) {
    super(`No queue takes ${eventType} yet (its consumer has not declared its queue)`);
    this.name = 'UnroutableEventError';
  }
}

function withHeartbeat(url: string, heartbeatSeconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat'))
    parsed.searchParams.set('heartbeat', String(heartbeatSeconds));
  return parsed.toString();
}

// Shared by every connection of one namespace: a test's publisher, its consumers and its
// proxied connections all declare into the same namespace, and one of them cleans it up.
const queuesByNamespace = new Map<string, Set<string>>();

/** Connects in the background and keeps reconnecting; never throws if the broker is down. */
export function connectRabbit(options: ConnectRabbitOptions): RabbitConnection {
  const connection = new ResilientConnection(options);
  connection.start();
  return connection;
}

class ResilientConnection implements RabbitConnection {
  readonly namespace: string | undefined;
  readonly queueType: QueueType;
  readonly logger: Logger;
  readonly metrics: MessagingMetrics;
  private readonly url: string;
  private readonly reconnectDelayMs: number;
  private readonly maxReconnectDelayMs: number;
  private readonly publishTimeoutMs: number;
  private live: ChannelModel | null = null;
  private ready = false;
  private closing = false;
  private publishChannel: Promise<ConfirmChannel> | null = null;
  /** Mandatory messages published and not yet confirmed or refused: id to "returned unrouted". */
  private readonly unconfirmed = new Map<string, boolean>();
  private readonly owners = new Set<ChannelOwner>();
  private readonly readyWaiters = new Waiters();
  private readonly queues: Set<string>;
  private wakeSleeper: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(options: ConnectRabbitOptions) {
    this.namespace = options.namespace;
    this.queueType = options.queueType ?? 'quorum';
    this.queues = queuesByNamespace.get(options.namespace ?? '') ?? new Set();
    queuesByNamespace.set(options.namespace ?? '', this.queues);
    this.logger = options.logger.child({ component: 'messaging' });
    this.metrics = messagingMetrics(options.metrics);
    this.url = withHeartbeat(options.url, options.heartbeatSeconds ?? 10);
    this.reconnectDelayMs = options.reconnectDelayMs ?? 500;
    this.maxReconnectDelayMs = options.maxReconnectDelayMs ?? 30_000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  }

  start() {
    if (this.loop) return;
    this.loop = this.connectLoop().finally(() => {
      this.loop = null;
      // Lost again while the loop was finishing: nobody else would reconnect.
      if (!this.closing && !this.ready) this.start();
    });
  }

  isConnected(): boolean {
    return this.ready;
  }

  currentConnection(): ChannelModel | null {
    return this.ready ? this.live : null;
  }

  waitUntilConnected(timeoutMs = 30_000): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (this.closing) return Promise.reject(new BrokerUnavailableError('Connection is closed'));
    return this.readyWaiters.wait(
      timeoutMs,
      () => new BrokerUnavailableError(`RabbitMQ not connected within ${timeoutMs} ms`),
    );
  }

  async publish<K extends EventType>(
    type: K,
    data: EventData<K>,
    opts: EnvelopeOptions = {},
  ): Promise<EventEnvelope<EventData<K>>> {
    const envelope = createEnvelope(type, data, opts);
    await this.publishEnvelope(envelope);
    return envelope;
  }

  async publishEnvelope(envelope: EventEnvelope): Promise<void> {
    if (!isEventType(envelope.eventType))
      throw new Error(`Unknown event type ${envelope.eventType}`);
    const { exchange, routingKey, consumed } = events[envelope.eventType];
    const deadline = Date.now() + this.publishTimeoutMs;
    await this.waitUntilConnected(this.publishTimeoutMs);
    const channel = await this.openPublishChannel();
    const properties: Options.Publish = {
      persistent: true,
      contentType: 'application/json',
      messageId: envelope.eventId,
      type: envelope.eventType,
      timestamp: Math.floor(Date.parse(envelope.timestamp) / 1000),
      mandatory: consumed,
      ...(envelope.correlationId ? { correlationId: envelope.correlationId } : {}),
    };
    if (consumed) this.unconfirmed.set(envelope.eventId, false);
    const confirmed = await confirmPublish(
      channel,
      qualify(this.namespace, exchange),
      routingKey,
      Buffer.from(JSON.stringify(envelope)),
      properties,
      Math.max(deadline - Date.now(), 1),
    ).then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    // Looked up whatever the confirm said, so no entry is left behind.
    const returned = this.unconfirmed.get(envelope.eventId) === true;
    this.unconfirmed.delete(envelope.eventId);
    if (returned) throw new UnroutableEventError(envelope.eventType);
    if (!confirmed.ok) throw confirmed.error;
    this.metrics.published.inc({ event_type: envelope.eventType });
  }

  addChannelOwner(owner: ChannelOwner): () => void {
    this.owners.add(owner);
    const connection = this.currentConnection();
    if (connection) void this.attachOwner(owner, connection);
    return () => {
      this.owners.delete(owner);
    };
  }

  recordQueues(queues: readonly string[]) {
    for (const queue of queues) this.queues.add(queue);
  }

  async deleteTopology(): Promise<void> {
    if (!this.namespace)
      throw new Error('deleteTopology is for namespaced (test) connections only');
    await this.waitUntilConnected(this.publishTimeoutMs);
    const channel = await this.live!.createChannel();
    channel.on('error', () => undefined);
    for (const queue of this.queues) await channel.deleteQueue(queue);
    this.queues.clear();
    for (const exchange of EXCHANGES)
      await channel.deleteExchange(qualify(this.namespace, exchange));
    await channel.close();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.ready = false;
    this.wakeSleeper?.();
    await this.loop;
    this.ready = false;
    const live = this.live;
    this.live = null;
    if (live) await live.close().catch(() => undefined);
  }

  private async connectLoop() {
    let failures = 0;
    while (!this.closing) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        if (this.closing) return;
        failures += 1;
        // Exponential backoff with jitter: replicas that lost the broker together do not all
        // hammer it again in the same millisecond when it comes back.
        const ceiling = Math.min(
          this.reconnectDelayMs * 2 ** (failures - 1),
          this.maxReconnectDelayMs,
        );
        const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        this.logger.warn({ err: error, delayMs, failures }, 'RabbitMQ unreachable; retrying');
        await this.sleep(delayMs);
      }
    }
  }

  private async connectOnce() {
    const model = await amqp.connect(this.url, { timeout: 5000 });
    let lost = false;
    // Without an 'error' listener amqplib's error event would crash the process; the 'close'
    // that always follows is where we act.
    model.on('error', (error: unknown) =>
      this.logger.warn({ err: error }, 'RabbitMQ connection error'),
    );
    // The broker blocks publishers when it runs low on memory or disk; publishes then time out.
    model.on('blocked', (reason: unknown) =>
      this.logger.warn({ reason }, 'RabbitMQ blocked publishing'),
    );
    model.on('unblocked', () => this.logger.info('RabbitMQ unblocked publishing'));
    model.on('close', () => {
      lost = true;
      if (this.live === model) this.onConnectionLost();
    });
    if (this.closing) {
      await model.close().catch(() => undefined);
      return;
    }
    try {
      this.live = model;
      this.publishChannel = null;
      await this.openPublishChannel(model);
      if (lost) throw new BrokerUnavailableError('Connection closed while setting up');
      this.ready = true;
      for (const owner of this.owners) await this.attachOwner(owner, model);
      if (lost) throw new BrokerUnavailableError('Connection closed while setting up');
      if (this.closing) {
        this.ready = false;
        return;
      }
      this.logger.info('RabbitMQ connected');
      this.readyWaiters.release();
    } catch (error) {
      this.ready = false;
      this.live = null;
      this.publishChannel = null;
      await model.close().catch(() => undefined);
      throw error;
    }
  }

  private async attachOwner(owner: ChannelOwner, model: ChannelModel) {
    try {
      await owner.attach(model);
    } catch (error) {
      // An owner retries on its own while the connection stays up; after a reconnect it is
      // attached again anyway.
      this.logger.error({ err: error }, 'Could not set up a consumer channel');
    }
  }

  private onConnectionLost() {
    this.ready = false;
    this.live = null;
    this.publishChannel = null;
    if (this.closing) return;
    this.logger.warn('RabbitMQ connection lost; reconnecting');
    this.start();
  }

  /** One confirm channel for all publishes; replaced if the broker closes it (e.g. NOT_FOUND). */
  private openPublishChannel(model = this.live): Promise<ConfirmChannel> {
    if (this.publishChannel) return this.publishChannel;
    if (!model) return Promise.reject(new BrokerUnavailableError('RabbitMQ not connected'));
    const opening = model.createConfirmChannel().then(async (channel) => {
      channel.on('error', (error: unknown) =>
        this.logger.warn({ err: error }, 'RabbitMQ publish channel error'),
      );
      channel.on('close', () => {
        if (this.publishChannel === opening) this.publishChannel = null;
      });
      // The broker returns a mandatory message no queue took before it confirms it.
      channel.on('return', (message: { properties: { messageId?: string } }) => {
        const id = message.properties.messageId;
        // A return for a publish that already gave up (timed out) is not kept: nothing would
        // ever take it out again.
        if (id && this.unconfirmed.has(id)) this.unconfirmed.set(id, true);
      });
      // Declared on every new channel, not only per connection: if an exchange was deleted, the
      // publish that failed on it closed the channel, and the next one heals the topology.
      await declareExchanges(channel, this.namespace);
      return channel;
    });
    opening.catch(() => {
      if (this.publishChannel === opening) this.publishChannel = null;
    });
    this.publishChannel = opening;
    return opening;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = done;
    });
  }
}

/**
 * Publishes on a confirm channel and resolves only when the broker acks it: a nack, a closed
 * channel or no answer in time rejects, and the caller keeps the message (outbox row, delivery).
 */
export function confirmPublish(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  properties: Options.Publish,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new BrokerUnavailableError(`Publish not confirmed within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      channel.publish(exchange, routingKey, content, properties, (error) => {
        clearTimeout(timer);
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve();
      });
    } catch (error) {
      // amqplib throws synchronously when the channel is already closed.
      clearTimeout(timer);
      reject(error);
    }
  });
}
