import type { ShopEvents } from '@shop/contracts';
import { startOutboxRelay, type OutboxRelayOptions, type RabbitConnection } from '@shop/messaging';
import type { Pool } from '@shop/postgres';
import type { ServiceRuntime } from '@shop/service-kit';
import { buildApp } from './app';
import type { ProductCatalog } from './clients/product-catalog';
import type { Config } from './config';
import { startOrderConsumers, type OrderConsumersDeps } from './events/order-consumers';
import { createOrderMetrics } from './metrics';
import { startPendingOrderSweeper } from './use-cases/expire-pending-orders';

export type OrderServiceSettings = Pick<
  Config,
  'JWT_SECRET' | 'PENDING_ORDER_TIMEOUT_MS' | 'PENDING_SWEEP_INTERVAL_MS'
>;

/** Opened and closed by the caller: main.ts's real ones, or a test's throwaway ones. */
export interface OrderServiceConnections {
  pool: Pool;
  rabbit: RabbitConnection<ShopEvents>;
  catalog: ProductCatalog;
}

/** Delays the tests shorten; production leaves the workers' defaults. */
export interface OrderServiceTimings {
  relay?: Pick<OutboxRelayOptions, 'intervalMs' | 'maxBackoffMs'>;
  consumers?: Pick<OrderConsumersDeps, 'retryDelaysMs' | 'maxAttempts'>;
}

// Orders cancelled per sweep transaction: a backlog after a long inventory outage is worked off in
// short transactions that hold few row locks.
const PENDING_SWEEP_BATCH = 100;

/**
 * order-service as it runs, for main.ts and the tests alike: the app, the outbox relay, the
 * consumers of inventory's answers and the pending-order sweeper. The caller listens; `stop` ends
 * the workers, the relay last so the events of the final answers and sweeps still leave.
 */
export function startOrderService(
  settings: OrderServiceSettings,
  connections: OrderServiceConnections,
  runtime: ServiceRuntime,
  timings: OrderServiceTimings = {},
) {
  const { pool, rabbit, catalog } = connections;
  const { logger, metrics } = runtime;
  const orderMetrics = createOrderMetrics(metrics, pool);
  const relay = startOutboxRelay({ pool, rabbit, logger, metrics, ...timings.relay });
  const consumers = startOrderConsumers({
    rabbit,
    pool,
    logger,
    metrics,
    orderMetrics,
    ...timings.consumers,
  });
  const sweeper = startPendingOrderSweeper({
    pool,
    orderMetrics,
    logger,
    intervalMs: settings.PENDING_SWEEP_INTERVAL_MS,
    timeoutMs: settings.PENDING_ORDER_TIMEOUT_MS,
    batchSize: PENDING_SWEEP_BATCH,
  });
  const app = buildApp({
    logger,
    metrics,
    orderMetrics,
    pool,
    catalog,
    rabbit,
    jwtSecret: settings.JWT_SECRET,
  });
  return {
    app,
    orderMetrics,
    waitUntilConsuming: (timeoutMs?: number) => consumers.waitUntilConsuming(timeoutMs),
    async stop() {
      await consumers.stop();
      await sweeper.stop();
      await relay.stop();
    },
  };
}

export type RunningOrderService = ReturnType<typeof startOrderService>;
