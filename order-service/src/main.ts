import { connectRabbit, migrateMessaging, startOutboxRelay } from '@shop/messaging';
import { createPool, ensureDatabase, migrate } from '@shop/postgres';
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
// Waiting this long for RabbitMQ at boot lets /ready be green at once in the usual case; if the
// broker is down the service still starts, orders queue in the outbox, and /ready says why.
const RABBIT_BOOT_WAIT_MS = 5000;

void runService({
  service: 'order-service',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => {
    await ensureDatabase(config.DATABASE_URL);
    // Room for the consumer's prefetch (10 deliveries, a connection each), the relay and HTTP.
    const pool = createPool(config.DATABASE_URL, { max: 20 });
    await migrate(pool, migrations);
    await migrateMessaging(pool);
    const rabbit = connectRabbit({
      url: config.RABBITMQ_URL,
      logger,
      metrics,
      namespace: config.RABBITMQ_NAMESPACE,
    });
    await rabbit.waitUntilConnected(RABBIT_BOOT_WAIT_MS).catch(() => {
      logger.warn('RabbitMQ is not reachable yet; orders wait in the outbox until it is');
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
          ...registrationSteps({
            registryUrl: config.REGISTRY_URL,
            registryToken: config.REGISTRY_TOKEN,
            serviceHost: config.SERVICE_HOST,
            name: 'order-service',
            port: server.port,
            logger,
          }),
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
