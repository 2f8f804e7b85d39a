import './instrument';
import { runService } from '@shop/service-kit';
import { openServiceDatabase } from '@shop/postgres';
import { connectRabbitAtStartup, migrateMessaging, startOutboxRelay } from '@shop/messaging';
import { registrationSteps } from '@shop/registry-client';
import { buildApp } from './app';
import { readConfig } from './config';
import { MIGRATION_LOCK_KEY, migrations } from './db/migrations';
import { startInventoryConsumers } from './events/consumers';

const config = readConfig();

void runService({
  service: 'inventory-service',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => {
    // The consumer holds one connection for its batch and the relay one; the rest serve HTTP
    // reads.
    const pool = await openServiceDatabase(config.DATABASE_URL, {
      migrations,
      lockKey: MIGRATION_LOCK_KEY,
      maxConnections: 20,
    });
    await migrateMessaging(pool);
    const rabbit = await connectRabbitAtStartup({
      url: config.RABBITMQ_URL,
      namespace: config.RABBITMQ_NAMESPACE,
      queueType: config.RABBITMQ_QUEUE_TYPE,
      logger,
      metrics,
    });
    const relay = startOutboxRelay({ pool, rabbit, logger, metrics });
    const consumer = startInventoryConsumers({
      rabbit,
      pool,
      logger,
      metrics,
      retryDelaysMs: config.CONSUMER_RETRY_DELAYS_MS,
    });
    return {
      app: buildApp({ logger, metrics, pool, jwtSecret: config.JWT_SECRET, rabbit }),
      afterListen: (server) =>
        registrationSteps(config, { name: 'inventory-service', port: server.port, logger }),
      shutdown: [
        { name: 'consumer', run: () => consumer.stop() },
        { name: 'outbox relay', run: () => relay.stop() },
        { name: 'rabbitmq', run: () => rabbit.close() },
        { name: 'postgres', run: () => pool.end() },
      ],
    };
  },
});
