import type { ShopEvents } from '@shop/contracts';
import {
  rabbitReadiness,
  startOutboxRelay,
  type OutboxRelayOptions,
  type RabbitConnection,
} from '@shop/messaging';
import type { Pool } from '@shop/postgres';
import type { ServiceRuntime } from '@shop/service-kit';
import { buildApp } from './app';
import type { AccountSettings } from './config';
import type { SessionRevocations } from './security/session-revocation';
import { ensureAdmin } from './use-cases/ensure-admin';
import { startLoginThrottlePurge } from './use-cases/purge-login-throttles';
import type { OrderHistory } from './use-cases/read-user';

export interface UserServiceSettings {
  account: AccountSettings;
  /** Hops whose X-Forwarded-For is believed (TRUST_PROXY). */
  trustProxy: number;
  /** ADMIN_EMAIL and ADMIN_PASSWORD, when both are set: the admin is made or updated at start. */
  admin?: { email: string; password: string };
  relay?: Pick<OutboxRelayOptions, 'intervalMs'>;
}

/** Opened and closed by the caller: main.ts's real ones, or a test's throwaway ones. */
export interface UserServiceConnections {
  pool: Pool;
  rabbit: RabbitConnection<ShopEvents>;
  revocations: SessionRevocations;
  orders: OrderHistory;
  /** /ready checks of connections the service does not see itself (Redis behind revocations). */
  readiness?: Record<string, () => unknown>;
}

/**
 * user-service as it runs, for main.ts and the tests alike: the admin bootstrap, the login
 * throttle purge, the outbox relay of USER_REGISTERED and the app. The caller listens; `stop`
 * ends the purge and then the relay.
 */
export async function startUserService(
  settings: UserServiceSettings,
  connections: UserServiceConnections,
  runtime: ServiceRuntime,
) {
  const { pool, rabbit, revocations } = connections;
  const { logger, metrics } = runtime;
  if (settings.admin) {
    await ensureAdmin({ pool, settings: settings.account, logger, revocations }, settings.admin);
  }
  const purge = startLoginThrottlePurge({ pool, logger, limits: settings.account.loginLimits });
  const relay = startOutboxRelay({ pool, rabbit, logger, metrics, ...settings.relay });
  const app = buildApp({
    logger,
    metrics,
    pool,
    settings: settings.account,
    orders: connections.orders,
    revocations,
    trustProxy: settings.trustProxy,
    readiness: { rabbitmq: rabbitReadiness(rabbit), ...connections.readiness },
  });
  return {
    app,
    async stop() {
      await purge.stop();
      await relay.stop();
    },
  };
}
