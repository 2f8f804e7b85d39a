import { shopEvents } from '@shop/contracts';
import './instrument';
import { openOutboxConnections } from '@shop/messaging';
import { runRegisteredService } from '@shop/registry-client';
import { readConfig } from './config';
import { MIGRATION_LOCK_KEY, migrations } from './db/migrations';
import { startInventoryService } from './service';

const config = readConfig();

void runRegisteredService({
  service: 'inventory-service',
  config,
  start: async (runtime) => {
    // The consumer holds one connection for its batch and the relay one; the rest serve HTTP
    // reads.
    const { pool, rabbit, closing } = await openOutboxConnections(shopEvents, config, runtime, {
      migrations,
      lockKey: MIGRATION_LOCK_KEY,
      maxConnections: 20,
    });
    const service = startInventoryService(config, { pool, rabbit }, runtime);
    return {
      app: service.app,
      shutdown: [{ name: 'consumer and outbox relay', run: () => service.stop() }, ...closing],
    };
  },
});
