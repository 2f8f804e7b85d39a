import {
  baseConfig,
  loadConfigOrExit,
  positiveInt,
  rabbitmqConfig,
  DEVELOPMENT_JWT_SECRET,
  connectionUrl,
  secret,
} from '@shop/service-kit';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfig(3002),
  DATABASE_URL: connectionUrl(),
  ...rabbitmqConfig(),
  JWT_SECRET: secret(),
  PRODUCT_SERVICE_URL: z.url(),
  // How long a product's price, once read, prices later orders here (clients/product-catalog.ts).
  PRICE_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  // A PENDING order older than this is cancelled: inventory lost or dead-lettered ORDER_CREATED.
  PENDING_ORDER_TIMEOUT_MS: positiveInt(15 * 60_000),
  PENDING_SWEEP_INTERVAL_MS: positiveInt(60_000),
});

export type Config = z.output<typeof configSchema>;

export const developmentDefaults = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/orders',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  JWT_SECRET: DEVELOPMENT_JWT_SECRET,
  PRODUCT_SERVICE_URL: 'http://127.0.0.1:3003',
};

export const readConfig = (env = process.env): Config =>
  loadConfigOrExit(configSchema, env, { developmentDefaults });
