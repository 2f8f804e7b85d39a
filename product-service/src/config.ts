import {
  baseConfig,
  rabbitmqConfig,
  loadConfigOrExit,
  positiveInt,
  DEVELOPMENT_JWT_SECRET,
  connectionUrl,
  flag,
  secret,
} from '@shop/service-kit';
import { z } from 'zod';

/** The variables alone, for tools (the seed command) that read a few of them. */
export const configFields = z.object({
  ...baseConfig(3003),
  // Unset: the embedded MongoDB-compatible server is started (development and test only).
  MONGODB_URL: connectionUrl().optional(),
  // Where the embedded server keeps its data; defaults to <repo>/.data/mongo in development.
  MONGO_DATA_DIR: z.string().min(1).optional(),
  REDIS_URL: connectionUrl(),
  ...rabbitmqConfig(),
  JWT_SECRET: secret(),
  CACHE_KEY_PREFIX: z.string().min(1).default('product-service:'),
  PRODUCT_CACHE_TTL_SECONDS: positiveInt(300),
  LIST_CACHE_TTL_SECONDS: positiveInt(60),
  // Loads the demo catalog at start (idempotent): convenient for `npm start` and compose.
  SEED_DEMO_CATALOG: flag(),
});

export const configSchema = configFields
  // The embedded server keeps the catalog in this process: a restart would lose it while orders
  // and stock still name its products. Fine for development and tests, refused in production.
  .refine((config) => config.MONGODB_URL !== undefined || config.NODE_ENV !== 'production', {
    path: ['MONGODB_URL'],
    message: 'MONGODB_URL is required in production',
  });

export type Config = z.output<typeof configSchema>;

export const developmentDefaults = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  JWT_SECRET: DEVELOPMENT_JWT_SECRET,
};

export const readConfig = (env = process.env): Config =>
  loadConfigOrExit(configSchema, env, { developmentDefaults });
