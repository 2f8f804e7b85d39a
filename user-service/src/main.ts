import { shopEvents } from '@shop/contracts';
import './instrument';
import { openOutboxConnections } from '@shop/messaging';
import { Redis } from 'ioredis';
import { runRegisteredService } from '@shop/registry-client';
import { OrderServiceClient } from './clients/order-service';
import { accountSettingsFrom, readConfig } from './config';
import { MIGRATION_LOCK_KEY, migrations } from './db/migrations';
import { redisSessionRevocations } from './security/session-revocation';
import { startUserService } from './service';

const config = readConfig();

void runRegisteredService({
  service: 'user-service',
  config,
  start: async (runtime) => {
    const { logger } = runtime;
    const { pool, rabbit, closing } = await openOutboxConnections(shopEvents, config, runtime, {
      migrations,
      lockKey: MIGRATION_LOCK_KEY,
    });
    const settings = accountSettingsFrom(config);
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
    redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
    const revocations = redisSessionRevocations({
      redis,
      prefix: config.REVOKED_SESSION_PREFIX,
      accessTokenTtlMs: settings.accessTokenTtlSeconds * 1000,
    });
    const orders = new OrderServiceClient({
      url: config.ORDER_SERVICE_URL,
      timeoutMs: config.ORDER_SERVICE_TIMEOUT_MS,
      logger,
    });
    const service = await startUserService(
      {
        account: settings,
        trustProxy: config.TRUST_PROXY,
        ...(config.ADMIN_EMAIL && config.ADMIN_PASSWORD
          ? { admin: { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD } }
          : {}),
      },
      { pool, rabbit, revocations, orders, readiness: { redis: () => redis.ping() } },
      runtime,
    );
    return {
      app: service.app,
      shutdown: [
        { name: 'login throttle purge and outbox relay', run: () => service.stop() },
        { name: 'order-service client', run: () => orders.shutdown() },
        { name: 'redis', run: () => redis.quit() },
        ...closing,
      ],
    };
  },
});
