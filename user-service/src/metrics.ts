import { promClient, type MetricsRegistry } from '@shop/service-kit';

/** What an operator watches for attacks: failed and throttled logins, stolen refresh tokens. */
export function accountMetrics(registry: MetricsRegistry) {
  return {
    logins: new promClient.Counter({
      name: 'user_logins_total',
      help: 'Login attempts by outcome (success, rejected, throttled)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    refreshReuse: new promClient.Counter({
      name: 'user_refresh_token_reuse_total',
      help: 'Rotated refresh tokens presented again, each revoking its family',
      registers: [registry],
    }),
  };
}

export type AccountMetrics = ReturnType<typeof accountMetrics>;
