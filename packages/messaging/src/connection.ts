import amqp, { type ChannelModel } from 'amqplib';
import type { Logger, MetricsRegistry } from '@shop/service-kit';
import type { EventCatalog, EventData, EventType } from './catalog';
import { createEnvelope, type EnvelopeOptions, type EventEnvelope } from './envelope';
import { BrokerUnavailableError } from './errors';
import { messagingMetrics, type MessagingMetrics } from './metrics';
import { EventPublisher } from './publisher';
import type { QueueType } from './topology';
import { Waiters } from './waiters';

export interface ConnectRabbitOptions<C extends EventCatalog = EventCatalog> {
  /** The events this connection publishes and its consumers take (their types derive from it). */
  catalog: C;
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

export interface RabbitConnection<C extends EventCatalog = EventCatalog> {
  readonly catalog: C;
  /** For /ready: false while the broker is unreachable. */
  isConnected(): boolean;
  waitUntilConnected(timeoutMs?: number): Promise<void>;
  /** Validates, wraps and publishes; resolves once the broker has confirmed the message. */
  publish<K extends EventType<C>>(
    type: K,
    data: EventData<C, K>,
    opts?: EnvelopeOptions,
  ): Promise<EventEnvelope<EventData<C, K>>>;
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
}

function withHeartbeat(url: string, heartbeatSeconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat'))
    parsed.searchParams.set('heartbeat', String(heartbeatSeconds));
  return parsed.toString();
}

/** Connects in the background and keeps reconnecting; never throws if the broker is down. */
export function connectRabbit<C extends EventCatalog>(
  options: ConnectRabbitOptions<C>,
): RabbitConnection<C> {
  const connection = new ResilientConnection(options);
  connection.start();
  return connection;
}

class ResilientConnection<C extends EventCatalog> implements RabbitConnection<C> {
  readonly catalog: C;
  readonly namespace: string | undefined;
  readonly queueType: QueueType;
  readonly logger: Logger;
  readonly metrics: MessagingMetrics;
  private readonly url: string;
  private readonly reconnectDelayMs: number;
  private readonly maxReconnectDelayMs: number;
  private readonly publisher: EventPublisher;
  private live: ChannelModel | null = null;
  private ready = false;
  private closing = false;
  private readonly owners = new Set<ChannelOwner>();
  private readonly readyWaiters = new Waiters();
  private wakeSleeper: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(options: ConnectRabbitOptions<C>) {
    this.catalog = options.catalog;
    this.namespace = options.namespace;
    this.queueType = options.queueType ?? 'quorum';
    this.logger = options.logger.child({ component: 'messaging' });
    this.metrics = messagingMetrics(options.metrics);
    this.url = withHeartbeat(options.url, options.heartbeatSeconds ?? 10);
    this.reconnectDelayMs = options.reconnectDelayMs ?? 500;
    this.maxReconnectDelayMs = options.maxReconnectDelayMs ?? 30_000;
    this.publisher = new EventPublisher({
      link: this,
      catalog: this.catalog,
      namespace: this.namespace,
      logger: this.logger,
      metrics: this.metrics,
      publishTimeoutMs: options.publishTimeoutMs ?? 10_000,
    });
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

  async publish<K extends EventType<C>>(
    type: K,
    data: EventData<C, K>,
    opts: EnvelopeOptions = {},
  ): Promise<EventEnvelope<EventData<C, K>>> {
    const envelope = createEnvelope(this.catalog, type, data, opts);
    await this.publishEnvelope(envelope);
    return envelope;
  }

  publishEnvelope(envelope: EventEnvelope): Promise<void> {
    return this.publisher.publishEnvelope(envelope);
  }

  addChannelOwner(owner: ChannelOwner): () => void {
    this.owners.add(owner);
    const connection = this.currentConnection();
    if (connection) void this.attachOwner(owner, connection);
    return () => {
      this.owners.delete(owner);
    };
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
      await this.publisher.open(model);
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
      this.publisher.forget();
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
    this.publisher.forget();
    if (this.closing) return;
    this.logger.warn('RabbitMQ connection lost; reconnecting');
    this.start();
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
