import './instrument';
import { runService } from '@shop/service-kit';
import { openServiceDatabase } from '@shop/postgres';
import { connectServiceRabbit, migrateMessaging } from '@shop/messaging';
import { registerOnceListening } from '@shop/registry-client';
import { readConfig } from './config';
import { MIGRATION_LOCK_KEY, migrations } from './db/migrations';
import { startInventoryService } from './service';

const config = readConfig();

void runService({
  service: 'inventory-service',
  config,
  start: async (runtime) => {
    const { logger } = runtime;
    // The consumer holds one connection for its batch and the relay one; the rest serve HTTP
    // reads.
    const pool = await openServiceDatabase(config.DATABASE_URL, {
      migrations,
      lockKey: MIGRATION_LOCK_KEY,
      maxConnections: 20,
    });
    await migrateMessaging(pool);
    const rabbit = await connectServiceRabbit(config, runtime);
    const service = startInventoryService(config, { pool, rabbit }, runtime);
    return {
      app: service.app,
      afterListen: registerOnceListening(config, { name: 'inventory-service', logger }),
      shutdown: [
        { name: 'consumer and outbox relay', run: () => service.stop() },
        { name: 'rabbitmq', run: () => rabbit.close() },
        { name: 'postgres', run: () => pool.end() },
      ],
    };
  },
});
