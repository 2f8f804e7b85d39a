import { connectRabbitAtStartup, migrateMessaging, startOutboxRelay } from '@shop/messaging';
import { openServiceDatabase } from '@shop/postgres';
import { registrationSteps } from '@shop/registry-client';
import { runService } from '@shop/service-kit';
import { buildApp } from './app';
import { productCatalogOverHttp } from './clients/product-catalog';
import { readConfig } from './config';
import { migrations } from './db/migrations';
import { startOrderConsumers } from './events/order-consumers';
import { createOrderMetrics } from './metrics';
import { startPendingOrderSweeper } from './use-cases/expire-pending-orders';

const config = readConfig();

// Long enough for a product-service under load, short enough that pricing never hangs an order.
const PRODUCT_SERVICE_TIMEOUT_MS = 1500;
// Orders cancelled per sweep transaction: a backlog after a long inventory outage is worked off in
// short transactions that hold few row locks.
const PENDING_SWEEP_BATCH = 100;

void runService({
  service: 'order-service',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => {
    // Room for the consumer's prefetch (10 deliveries, a connection each), the relay and HTTP.
    const pool = await openServiceDatabase(config.DATABASE_URL, { migrations, maxConnections: 20 });
    await migrateMessaging(pool);
    const rabbit = await connectRabbitAtStartup({
      url: config.RABBITMQ_URL,
      namespace: config.RABBITMQ_NAMESPACE,
      queueType: config.RABBITMQ_QUEUE_TYPE,
      logger,
      metrics,
    });
    const orderMetrics = createOrderMetrics(metrics);
    const catalog = productCatalogOverHttp({
      baseURL: config.PRODUCT_SERVICE_URL,
      timeoutMs: PRODUCT_SERVICE_TIMEOUT_MS,
      retries: 1,
    });
    const relay = startOutboxRelay({ pool, rabbit, logger, metrics });
    return {
      app: buildApp({
        logger,
        metrics,
        orderMetrics,
        pool,
        catalog,
        rabbit,
        jwtSecret: config.JWT_SECRET,
      }),
      afterListen: (server) => {
        const consumers = startOrderConsumers({ rabbit, pool, logger, metrics, orderMetrics });
        const sweeper = startPendingOrderSweeper({
          pool,
          orderMetrics,
          logger,
          intervalMs: config.PENDING_SWEEP_INTERVAL_MS,
          timeoutMs: config.PENDING_ORDER_TIMEOUT_MS,
          batchSize: PENDING_SWEEP_BATCH,
        });
        return [
          ...registrationSteps(config, { name: 'order-service', port: server.port, logger }),
          { name: 'inventory consumers', run: () => consumers.stop() },
          // Before the relay stops, so the ORDER_CANCELLED of a last sweep still leaves.
          { name: 'pending-order sweeper', run: () => sweeper.stop() },
        ];
      },
      // After HTTP has drained: the relay last sends what the final requests wrote.
      shutdown: [
        { name: 'outbox relay', run: () => relay.stop() },
        { name: 'product catalog', run: () => catalog.close() },
        { name: 'rabbitmq', run: () => rabbit.close() },
        { name: 'postgres', run: () => pool.end() },
      ],
    };
  },
});
