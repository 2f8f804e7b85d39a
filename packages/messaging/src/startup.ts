import type { Logger, MetricsRegistry } from '@shop/service-kit';
import { connectRabbit, type ConnectRabbitOptions, type RabbitConnection } from './connection';
import type { QueueType } from './topology';

/** The RABBITMQ_* settings of service-kit's `rabbitmqConfig()`, as every service parses them. */
export interface RabbitmqSettings {
  RABBITMQ_URL: string;
  RABBITMQ_NAMESPACE?: string | undefined;
  RABBITMQ_QUEUE_TYPE: QueueType;
}

/**
 * What a service's main.ts does: connect, and wait a moment so a normal start is ready at once.
 * A broker that is down does not stop the start: the connection keeps retrying, events wait in
 * the outbox, and /ready says not ready until the broker is back.
 */
export async function connectRabbitAtStartup(
  options: ConnectRabbitOptions & { waitMs?: number },
): Promise<RabbitConnection> {
  const rabbit = connectRabbit(options);
  await rabbit.waitUntilConnected(options.waitMs ?? 5000).catch(() => {
    options.logger.warn(
      'RabbitMQ is not reachable yet; starting anyway, events wait in the outbox',
    );
  });
  return rabbit;
}

/** `connectRabbitAtStartup` from a service's parsed config and its runtime. */
export function connectServiceRabbit(
  config: RabbitmqSettings,
  runtime: { logger: Logger; metrics: MetricsRegistry },
): Promise<RabbitConnection> {
  return connectRabbitAtStartup({
    url: config.RABBITMQ_URL,
    ...(config.RABBITMQ_NAMESPACE ? { namespace: config.RABBITMQ_NAMESPACE } : {}),
    queueType: config.RABBITMQ_QUEUE_TYPE,
    ...runtime,
  });
}

/** A readiness check: throws while the broker connection is down. */
export function rabbitReadiness(rabbit: Pick<RabbitConnection, 'isConnected'>) {
  return () => {
    if (!rabbit.isConnected()) throw new Error('not connected to RabbitMQ');
  };
}
