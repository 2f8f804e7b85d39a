import { openServiceDatabase, type Migration, type Pool } from '@shop/postgres';
import type { Logger, MetricsRegistry, ShutdownStep } from '@shop/service-kit';
import type { EventCatalog } from './catalog';
import { connectRabbit, type ConnectRabbitOptions, type RabbitConnection } from './connection';
import { migrateMessaging } from './migrations';
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
export async function connectRabbitAtStartup<C extends EventCatalog>(
  options: ConnectRabbitOptions<C> & { waitMs?: number },
): Promise<RabbitConnection<C>> {
  const rabbit = connectRabbit(options);
  await rabbit.waitUntilConnected(options.waitMs ?? 5000).catch(() => {
    options.logger.warn(
      'RabbitMQ is not reachable yet; starting anyway, events wait in the outbox',
    );
  });
  return rabbit;
}

/** `connectRabbitAtStartup` for `catalog`'s events, from a service's parsed config and its runtime. */
export function connectServiceRabbit<C extends EventCatalog>(
  catalog: C,
  config: RabbitmqSettings,
  runtime: { logger: Logger; metrics: MetricsRegistry },
): Promise<RabbitConnection<C>> {
  return connectRabbitAtStartup({
    catalog,
    url: config.RABBITMQ_URL,
    ...(config.RABBITMQ_NAMESPACE ? { namespace: config.RABBITMQ_NAMESPACE } : {}),
    queueType: config.RABBITMQ_QUEUE_TYPE,
    ...runtime,
  });
}

/**
 * What the main.ts of a service with a Postgres outbox opens: its database, migrated with the
 * outbox and inbox tables too, and the broker, for `catalog`'s events. `closing` closes them at shutdown, the broker
 * first, after the service's workers have stopped.
 */
export async function openOutboxConnections<C extends EventCatalog>(
  catalog: C,
  config: RabbitmqSettings & { DATABASE_URL: string },
  runtime: { logger: Logger; metrics: MetricsRegistry },
  database: { migrations: readonly Migration[]; lockKey?: number; maxConnections?: number },
): Promise<{ pool: Pool; rabbit: RabbitConnection<C>; closing: ShutdownStep[] }> {
  const pool = await openServiceDatabase(config.DATABASE_URL, database);
  await migrateMessaging(pool);
  const rabbit = await connectServiceRabbit(catalog, config, runtime);
  return {
    pool,
    rabbit,
    closing: [
      { name: 'rabbitmq', run: () => rabbit.close() },
      { name: 'postgres', run: () => pool.end() },
    ],
  };
}

/** A readiness check: throws while the broker connection is down. */
export function rabbitReadiness(rabbit: Pick<RabbitConnection, 'isConnected'>) {
  return () => {
    if (!rabbit.isConnected()) throw new Error('not connected to RabbitMQ');
  };
}
