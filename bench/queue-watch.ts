import amqp from 'amqplib';
import { testServers } from '@shop/testkit';

/**
 * Samples the ready-message count of `queues` every 250 ms, so a run can say how deep the work
 * piled up: a queue that keeps growing is the stage that limits the pipeline.
 */
export async function openQueueWatch(queues: readonly string[]) {
  const connection = await amqp.connect(testServers.rabbitmqUrl);
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  let deepest = 0;
  const timer = setInterval(() => {
    for (const queue of queues) {
      channel
        .checkQueue(queue)
        .then(({ messageCount }) => (deepest = Math.max(deepest, messageCount)))
        .catch(() => undefined);
    }
  }, 250);
  return {
    deepest: () => deepest,
    reset: () => void (deepest = 0),
    async close() {
      clearInterval(timer);
      await connection.close().catch(() => undefined);
    },
  };
}
