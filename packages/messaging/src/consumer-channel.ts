import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@shop/service-kit';
import type { ChannelOwner, RabbitConnection } from './connection';
import { declareConsumerTopology } from './topology';
import { Waiters } from './waiters';

export interface ConsumerChannelOptions {
  rabbit: RabbitConnection;
  logger: Logger;
  /** Logical queue name, for messages. */
  name: string;
  /** Fully qualified queue name. */
  queue: string;
  events: readonly string[];
  retryDelaysMs: readonly number[];
  prefetch: number;
  /** First pause before reopening a channel that failed or closed (it then doubles). */
  reopenDelayMs: number;
  onDelivery(channel: ConfirmChannel, message: ConsumeMessage): void;
  /** The channel closed: its unacked deliveries are back with the broker. */
  onClosed(channel: ConfirmChannel): void;
}

// Long enough that a broker refusing the topology is not asked in a loop, short enough that a
// fixed broker is used again within half a minute.
const MAX_REOPEN_DELAY_MS = 30_000;

/**
 * The consumer's channel on whichever connection is live: opens it, declares the topology,
 * subscribes, and reopens it after a pause whenever it closes, until stopped.
 */
export class ConsumerChannel implements ChannelOwner {
  private channel: ConfirmChannel | null = null;
  private consumerTag: string | null = null;
  private attaching: { model: ChannelModel; done: Promise<void> } | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  private reopenFailures = 0;
  private stopped = false;
  private detach: () => void = () => undefined;
  private readonly consumingWaiters = new Waiters();

  constructor(private readonly options: ConsumerChannelOptions) {}

  start() {
    this.detach = this.options.rabbit.addChannelOwner(this);
  }

  /** The channel deliveries are acked on now; a delivery of any other can no longer be. */
  current(): ConfirmChannel | null {
    return this.channel;
  }

  attach(model: ChannelModel): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.attaching?.model === model) return this.attaching.done;
    const done = this.open(model).catch((error: unknown) => {
      this.options.logger.error({ err: error }, setupFailureMessage(error, this.options.queue));
      this.scheduleReopen();
    });
    this.attaching = { model, done };
    return done;
  }

  waitUntilConsuming(timeoutMs: number): Promise<void> {
    if (this.consumerTag) return Promise.resolve();
    return this.consumingWaiters.wait(
      timeoutMs,
      () => new Error(`Not consuming ${this.options.name} within ${timeoutMs} ms`),
    );
  }

  /** No new deliveries from here on, and no reopening; the channel stays open for acks. */
  async stopConsuming(): Promise<void> {
    this.stopped = true;
    this.detach();
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    const { channel, consumerTag } = this;
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
  }

  /** After `stopConsuming`: anything still unacked goes back to the broker for another replica. */
  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = null;
    if (channel) await channel.close().catch(() => undefined);
  }

  private async open(model: ChannelModel) {
    const { rabbit, logger, queue } = this.options;
    const channel = await model.createConfirmChannel();
    // A channel error (e.g. PRECONDITION_FAILED) closes only this channel: log it, then reopen.
    channel.on('error', (error: unknown) => logger.warn({ err: error }, 'Consumer channel error'));
    channel.on('close', () => {
      this.options.onClosed(channel);
      if (this.channel !== channel) return;
      this.channel = null;
      this.consumerTag = null;
      this.attaching = null;
      this.scheduleReopen();
    });
    try {
      await channel.prefetch(this.options.prefetch);
      await declareConsumerTopology(channel, {
        queue,
        namespace: rabbit.namespace,
        catalog: rabbit.catalog,
        events: this.options.events,
        retryDelaysMs: this.options.retryDelaysMs,
        queueType: rabbit.queueType,
      });
      this.channel = channel;
      const { consumerTag } = await channel.consume(queue, (message) => {
        // null: the broker cancelled us (queue deleted); reopening re-declares it.
        if (message === null) {
          void channel.close().catch(() => undefined);
          return;
        }
        this.options.onDelivery(channel, message);
      });
      this.consumerTag = consumerTag;
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw error;
    }
    this.reopenFailures = 0;
    logger.info({ queueType: rabbit.queueType }, 'Consuming');
    this.consumingWaiters.release();
  }

  /**
   * Reopens the channel after a pause, on whichever connection is live then. While there is
   * none, the connection attaches us again itself when it is back.
   */
  private scheduleReopen() {
    if (this.stopped || this.reopenTimer) return;
    this.reopenFailures += 1;
    const delayMs = Math.min(
      this.options.reopenDelayMs * 2 ** (this.reopenFailures - 1),
      MAX_REOPEN_DELAY_MS,
    );
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      const current = this.options.rabbit.currentConnection();
      if (this.stopped || !current || this.channel) return;
      this.attaching = null;
      void this.attach(current);
    }, delayMs);
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
