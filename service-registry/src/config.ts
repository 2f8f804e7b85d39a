import { baseConfig, loadConfigOrExit, positiveInt } from '@shop/service-kit';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfig(8500),
  REGISTRY_TTL_MS: positiveInt(30_000),
});

export type Config = z.output<typeof configSchema>;

export const readConfig = (env = process.env): Config => loadConfigOrExit(configSchema, env);
