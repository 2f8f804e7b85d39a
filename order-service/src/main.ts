import { shopEvents } from '@shop/contracts';
import './instrument';
import { openOutboxConnections } from '@shop/messaging';
import { runRegisteredService } from '@shop/registry-client';
import { productCatalogOverHttp } from './clients/product-catalog';
import { readConfig } from './config';
import { migrations } from './db/migrations';
import { startOrderService } from './service';

const config = readConfig();

// Long enough for a product-service under load, short enough that pricing never hangs an order.
const PRODUCT_SERVICE_TIMEOUT_MS = 1500;

void runRegisteredService({
  service: 'order-service',
  config,
  start: async (runtime) => {
    // Room for the consumer's prefetch (10 deliveries, a connection each), the relay and HTTP.
    const { pool, rabbit, closing } = await openOutboxConnections(shopEvents, config, runtime, {
      migrations,
      maxConnections: 20,
    });
    const catalog = productCatalogOverHttp({
      baseURL: config.PRODUCT_SERVICE_URL,
      timeoutMs: PRODUCT_SERVICE_TIMEOUT_MS,
      retries: 1,
      priceCacheMs: config.PRICE_CACHE_MS,
    });
    const service = startOrderService(config, { pool, rabbit, catalog }, runtime);
    return {
      app: service.app,
      // After HTTP has drained: the relay last sends what the final requests wrote.
      shutdown: [
        { name: 'consumers, sweeper and outbox relay', run: () => service.stop() },
        { name: 'product catalog', run: () => catalog.close() },
        ...closing,
      ],
    };
  },
});
