import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { Logger } from '@shop/service-kit';
import type { EventCatalog } from './catalog';
import { confirmPublish } from './confirm-publish';
import type { EventEnvelope } from './envelope';
import { BrokerUnavailableError, UnroutableEventError } from './errors';
import type { MessagingMetrics } from './metrics';
import { declareExchanges, qualify } from './topology';

/** What the publisher needs of the connection it publishes over. */
export interface PublishLink {
  waitUntilConnected(timeoutMs: number): Promise<void>;
  /** The live connection, or null while disconnected. */
  currentConnection(): ChannelModel | null;
}

export interface EventPublisherOptions {
  link: PublishLink;
  /** Each event's exchange and routing key, and the exchanges to declare. */
  catalog: EventCatalog;
  namespace: string | undefined;
  logger: Logger;
  metrics: MessagingMetrics;
  /** How long a publish waits for a connection and then for the broker's confirm. */
  publishTimeoutMs: number;
}

/**
 * The publish side of a connection: one confirm channel for every publish, each event to its
 * exchange and routing key, and a consumed event that no queue took refused instead of dropped.
 */
export class EventPublisher {
  private channel: Promise<ConfirmChannel> | null = null;
  /** Mandatory messages published and not yet confirmed or refused: id to "returned unrouted". */
  private readonly unconfirmed = new Map<string, boolean>();

  constructor(private readonly options: EventPublisherOptions) {}

  /**
   * Opens the channel on a new connection, so that the connection counts as ready only once
   * publishing works on it.
   */
  async open(model: ChannelModel): Promise<void> {
    this.channel = null;
    await this.openChannel(model);
  }

  /** The connection is gone: the next publish opens a channel on the next one. */
  forget(): void {
    this.channel = null;
  }

  async publishEnvelope(envelope: EventEnvelope): Promise<void> {
    const { link, publishTimeoutMs, catalog } = this.options;
    const event = Object.hasOwn(catalog.events, envelope.eventType)
      ? catalog.events[envelope.eventType]
      : undefined;
    if (!event) throw new Error(`Unknown event type ${envelope.eventType}`);
    const { exchange, routingKey, consumed } = event;
    const deadline = Date.now() + publishTimeoutMs;
    await link.waitUntilConnected(publishTimeoutMs);
    const channel = await this.openChannel(link.currentConnection());
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
      qualify(this.options.namespace, exchange),
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
    this.options.metrics.published.inc({ event_type: envelope.eventType });
  }

  /** The one confirm channel; replaced if the broker closes it (e.g. NOT_FOUND). */
  private openChannel(model: ChannelModel | null): Promise<ConfirmChannel> {
    if (this.channel) return this.channel;
    if (!model) return Promise.reject(new BrokerUnavailableError('RabbitMQ not connected'));
    const { logger, namespace, catalog } = this.options;
    const opening = model.createConfirmChannel().then(async (channel) => {
      channel.on('error', (error: unknown) =>
        logger.warn({ err: error }, 'RabbitMQ publish channel error'),
      );
      channel.on('close', () => {
        if (this.channel === opening) this.channel = null;
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
      await declareExchanges(channel, namespace, catalog.exchanges);
      return channel;
    });
    opening.catch(() => {
      if (this.channel === opening) this.channel = null;
    });
    this.channel = opening;
    return opening;
  }
}
