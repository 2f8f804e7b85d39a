import { baseConfig, loadConfigOrExit, positiveInt } from '@shop/service-kit';
import { z } from 'zod';

const origins = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  );

export const configSchema = z.object({
  ...baseConfig(3000),
  JWT_SECRET: z.string().min(32),
  REDIS_URL: z.url(),
  USER_SERVICE_URL: z.url(),
  ORDER_SERVICE_URL: z.url(),
  PRODUCT_SERVICE_URL: z.url(),
  INVENTORY_SERVICE_URL: z.url(),
  CORS_ORIGINS: origins,
  RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
  RATE_LIMIT_MAX: positiveInt(100),
  AUTH_RATE_LIMIT_MAX: positiveInt(10),
});

export type Config = z.output<typeof configSchema>;

export const developmentDefaults = {
  JWT_SECRET: 'development-only-secret-change-me-0123456789abcdef',
  REDIS_URL: 'redis://127.0.0.1:6379',
  USER_SERVICE_URL: 'http://127.0.0.1:3001',
  ORDER_SERVICE_URL: 'http://127.0.0.1:3002',
  PRODUCT_SERVICE_URL: 'http://127.0.0.1:3003',
  INVENTORY_SERVICE_URL: 'http://127.0.0.1:3004',
  CORS_ORIGINS: 'http://localhost:3000',
};

export const readConfig = (env = process.env): Config =>
  loadConfigOrExit(configSchema, env, { developmentDefaults });
