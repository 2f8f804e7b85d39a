import { baseConfig, rabbitmqConfig, loadConfigOrExit, positiveInt } from '@shop/service-kit';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfig(3003),
  // Unset: the embedded MongoDB-compatible server is started (development and tests only).
  MONGODB_URL: z.url().optional(),
  // Where the embedded server keeps its data; defaults to <repo>/.data/mongo in development.
  MONGO_DATA_DIR: z.string().min(1).optional(),
  REDIS_URL: z.url(),
  ...rabbitmqConfig(),
  JWT_SECRET: z.string().min(32),
  CACHE_KEY_PREFIX: z.string().min(1).default('product-service:'),
  PRODUCT_CACHE_TTL_SECONDS: positiveInt(300),
  LIST_CACHE_TTL_SECONDS: positiveInt(60),
  // Loads the demo catalog at start (idempotent): convenient for `npm start` and compose.
  SEED_DEMO_CATALOG: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

export type Config = z.output<typeof configSchema>;

export const developmentDefaults = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  JWT_SECRET: 'development-only-secret-change-me-0123456789abcdef',
};

export const readConfig = (env = process.env): Config =>
  loadConfigOrExit(configSchema, env, { developmentDefaults });
