import { createServiceApp, type Logger, type MetricsRegistry } from '@shop/service-kit';
import { pingDatabase, type Pool } from '@shop/postgres';
import { accountMetrics } from './metrics';
import type { SessionRevocations } from './security/session-revocation';
import { userRoutes } from './routes/users';
import { dummyPasswordHash } from './use-cases/log-in';
import type { OrderHistory } from './use-cases/read-user';
import type { AccountSettings } from './config';

export interface AppDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  pool: Pool;
  settings: AccountSettings;
  orders: OrderHistory;
  revocations: SessionRevocations;
  /** Hops whose X-Forwarded-For is believed (TRUST_PROXY): the gateway's, and no one else's. */
  trustProxy: number;
  /** Further /ready checks beside Postgres (main.ts adds the broker). */
  readiness?: Record<string, () => unknown>;
}

export function buildApp(deps: AppDeps) {
  return createServiceApp({
    service: 'user-service',
    logger: deps.logger,
    metrics: deps.metrics,
    trustProxy: deps.trustProxy,
    readiness: { postgres: () => pingDatabase(deps.pool), ...deps.readiness },
    routes: (app) => {
      app.use(
        userRoutes({
          ...deps,
          metrics: accountMetrics(deps.metrics),
          dummyHash: dummyPasswordHash(deps.settings),
        }),
      );
    },
  });
}
