import type { ChannelModel, ConfirmChannel, GetMessage } from 'amqplib';
import { republishedProperties, RETRY_HEADERS, withoutBrokerHeaders } from './delivery';
import { deadQueueName, qualify } from './topology';

export interface DeadLetterSummary {
  /** The work queue the dead letters came from (fully qualified). */
  queue: string;
  deadQueue: string;
  count: number;
  /** Why the oldest one died: its x-death-reason and x-last-error. */
  oldestReason: string | null;
}

/** 'inventory-order-events' and 'inventory-order-events.dead' both name the same pair. */
export function workQueueOf(name: string): string {
  return name.endsWith('.dead') ? name.slice(0, -'.dead'.length) : name;
}

function reasonOf(message: GetMessage): string {
  const headers = message.properties.headers ?? {};
  const reason = headers[RETRY_HEADERS.deathReason];
  const error = headers[RETRY_HEADERS.lastError];
  return (
    [reason, error].filter((part) => part !== undefined && part !== '').join(': ') || 'unknown'
  );
}

/**
 * Counts each dead-letter queue and reads why its oldest message died. The oldest is taken and
 * handed straight back (nack with requeue puts it back at the head), so listing changes nothing.
 */
export async function listDeadLetters(
  model: ChannelModel,
  options: { namespace?: string; queues: readonly string[] },
): Promise<DeadLetterSummary[]> {
  const summaries: DeadLetterSummary[] = [];
  for (const name of options.queues) {
    const queue = qualify(options.namespace, workQueueOf(name));
    const deadQueue = deadQueueName(queue);
    // A queue that does not exist closes the channel (404): one channel per queue.
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      const { messageCount } = await channel.checkQueue(deadQueue);
      let oldestReason: string | null = null;
      const oldest = messageCount > 0 ? await channel.get(deadQueue, { noAck: false }) : false;
      if (oldest) {
        oldestReason = reasonOf(oldest);
        channel.nack(oldest, false, true);
      }
      summaries.push({ queue, deadQueue, count: messageCount, oldestReason });
    } catch (error) {
      if (!/NOT_FOUND/.test(String(error))) throw error;
      summaries.push({ queue, deadQueue, count: 0, oldestReason: null });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
  return summaries;
}

function confirmed(channel: ConfirmChannel, queue: string, message: GetMessage) {
  const { properties } = message;
  const headers = withoutBrokerHeaders(properties.headers);
  // The attempt count starts again; the trace context (traceparent) and everything else stay.
  for (const header of Object.values(RETRY_HEADERS)) delete headers[header];
  const republished = republishedProperties(properties, headers);
  return new Promise<void>((resolve, reject) => {
    channel.sendToQueue(queue, message.content, republished, (error) =>
      error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
    );
  });
}

/**
 * Moves up to `limit` messages from `<queue>.dead` back to `<queue>`, oldest first, with their
 * attempt count reset. Each is published with a confirm before it is acked off the dead queue: a
 * crash in between leaves a copy in both, and the consumer's inbox makes the second a no-op, so
 * re-driving is safe to repeat. Only what was dead when it started is moved, so a message that
 * dies again meanwhile is not cycled round.
 */
export async function redriveDeadLetters(
  model: ChannelModel,
  options: { namespace?: string; queue: string; limit?: number },
): Promise<{ queue: string; deadQueue: string; moved: number; left: number }> {
  const queue = qualify(options.namespace, workQueueOf(options.queue));
  const deadQueue = deadQueueName(queue);
  const channel = await model.createConfirmChannel();
  channel.on('error', () => undefined);
  try {
    // Both must exist: a re-drive to a queue nobody declared would vanish into the broker.
    await channel.checkQueue(queue);
    const { messageCount } = await channel.checkQueue(deadQueue);
    const wanted = Math.min(messageCount, options.limit ?? Number.POSITIVE_INFINITY);
    let moved = 0;
    while (moved < wanted) {
      const message = await channel.get(deadQueue, { noAck: false });
      if (!message) break;
      await confirmed(channel, queue, message);
      channel.ack(message);
      moved += 1;
    }
    const { messageCount: left } = await channel.checkQueue(deadQueue);
    return { queue, deadQueue, moved, left };
  } finally {
    await channel.close().catch(() => undefined);
  }
}
