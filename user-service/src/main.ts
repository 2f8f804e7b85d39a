import './instrument';
import {
  connectRabbitAtStartup,
  migrateMessaging,
  rabbitReadiness,
  startOutboxRelay,
} from '@shop/messaging';
import { Redis } from 'ioredis';
import { runService } from '@shop/service-kit';
import { openServiceDatabase } from '@shop/postgres';
import { registrationSteps } from '@shop/registry-client';
import { buildApp } from './app';
import { OrderServiceClient } from './clients/order-service';
import { accountSettingsFrom, readConfig } from './config';
import { MIGRATION_LOCK_KEY, migrations } from './db/migrations';
import { redisSessionRevocations } from './security/session-revocation';
import { ensureAdmin } from './use-cases/ensure-admin';
import { startLoginThrottlePurge } from './use-cases/purge-login-throttles';

const config = readConfig();

void runService({
  service: 'user-service',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => {
    const pool = await openServiceDatabase(config.DATABASE_URL, {
      migrations,
      lockKey: MIGRATION_LOCK_KEY,
    });
    await migrateMessaging(pool);
    const settings = accountSettingsFrom(config);
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
    redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
    const revocations = redisSessionRevocations({
      redis,
      prefix: config.REVOKED_SESSION_PREFIX,
      accessTokenTtlMs: settings.accessTokenTtlSeconds * 1000,
    });
    if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
      await ensureAdmin(
        { pool, settings, logger, revocations },
        { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD },
      );
    }
    const orders = new OrderServiceClient({
      url: config.ORDER_SERVICE_URL,
      timeoutMs: config.ORDER_SERVICE_TIMEOUT_MS,
      logger,
    });
    const purge = startLoginThrottlePurge({ pool, logger, limits: settings.loginLimits });
    const rabbit = await connectRabbitAtStartup({
      url: config.RABBITMQ_URL,
      namespace: config.RABBITMQ_NAMESPACE,
      logger,
      metrics,
    });
    const relay = startOutboxRelay({ pool, rabbit, logger, metrics });
    return {
      app: buildApp({
        logger,
        metrics,
        pool,
        settings,
        orders,
        revocations,
        trustProxy: config.TRUST_PROXY,
        readiness: {
          rabbitmq: rabbitReadiness(rabbit),
          redis: () => redis.ping(),
        },
      }),
      afterListen: (server) =>
        registrationSteps(config, { name: 'user-service', port: server.port, logger }),
      shutdown: [
        { name: 'login throttle purge', run: () => purge.stop() },
        { name: 'outbox relay', run: () => relay.stop() },
        { name: 'rabbitmq', run: () => rabbit.close() },
        { name: 'order-service client', run: () => orders.shutdown() },
        { name: 'redis', run: () => redis.quit() },
        { name: 'postgres', run: () => pool.end() },
      ],
    };
  },
});
