import type { ConfirmChannel, Options } from 'amqplib';
import { BrokerUnavailableError } from './errors';

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
