import type { ShopEvents } from '@shop/contracts';
import { startOutboxRelay, type OutboxRelayOptions, type RabbitConnection } from '@shop/messaging';
import type { Pool } from '@shop/postgres';
import type { ServiceRuntime } from '@shop/service-kit';
import { buildApp } from './app';
import type { Config } from './config';
import { startInventoryConsumers, type InventoryConsumerDeps } from './events/consumers';

export type InventorySettings = Pick<Config, 'JWT_SECRET' | 'CONSUMER_RETRY_DELAYS_MS'>;

/** Opened and closed by the caller: main.ts's real ones, or a test's throwaway ones. */
export interface InventoryConnections {
  pool: Pool;
  rabbit: RabbitConnection<ShopEvents>;
}

/** What the tests shorten or stretch; production leaves the workers' defaults. */
export interface InventoryTimings {
  relay?: Pick<OutboxRelayOptions, 'intervalMs' | 'maxBackoffMs'>;
  consumers?: Pick<InventoryConsumerDeps, 'maxAttempts'>;
}

/**
 * inventory-service as it runs, for main.ts and the tests alike: the consumer of order and product
 * events, the outbox relay of its answers and the app. The caller listens; `stop` ends the
 * consumer, then the relay, so the answers to the last events still leave.
 */
export function startInventoryService(
  settings: InventorySettings,
  connections: InventoryConnections,
  runtime: ServiceRuntime,
  timings: InventoryTimings = {},
) {
  const { pool, rabbit } = connections;
  const { logger, metrics } = runtime;
  const relay = startOutboxRelay({ pool, rabbit, logger, metrics, ...timings.relay });
  const consumer = startInventoryConsumers({
    rabbit,
    pool,
    logger,
    metrics,
    ...(settings.CONSUMER_RETRY_DELAYS_MS
      ? { retryDelaysMs: settings.CONSUMER_RETRY_DELAYS_MS }
      : {}),
    ...timings.consumers,
  });
  return {
    app: buildApp({ logger, metrics, pool, jwtSecret: settings.JWT_SECRET, rabbit }),
    waitUntilConsuming: (timeoutMs?: number) => consumer.waitUntilConsuming(timeoutMs),
    async stop() {
      await consumer.stop();
      await relay.stop();
    },
  };
}
