import { baseConfig, flag, loadConfigOrExit, positiveInt } from '@shop/service-kit';
import { z } from 'zod';

export const configSchema = z
  .object({
    ...baseConfig(8500),
    REGISTRY_TTL_MS: positiveInt(30_000),
    // How long a silent instance is listed as stale before the sweeper forgets it (3x TTL if unset).
    REGISTRY_GRACE_MS: z.coerce.number().int().positive().optional(),
    REGISTRY_MAX_INSTANCES: positiveInt(1000),
    REGISTRY_MAX_INSTANCES_PER_NAME: positiveInt(100),
    // An open registry in production must be a decision written down, never a forgotten secret.
    REGISTRY_ALLOW_ANONYMOUS: flag(),
  })
  .superRefine((config, context) => {
    if (config.NODE_ENV !== 'production' || config.REGISTRY_TOKEN) return;
    if (config.REGISTRY_ALLOW_ANONYMOUS) return;
    context.addIssue({
      code: 'custom',
      path: [],
      message:
        'REGISTRY_TOKEN is required when NODE_ENV=production (at least 32 characters; ' +
        'set REGISTRY_ALLOW_ANONYMOUS=true to run an open registry on purpose)',
    });
  });

export type Config = z.output<typeof configSchema>;

export const readConfig = (env = process.env): Config => loadConfigOrExit(configSchema, env);
