import {
  baseConfig,
  rabbitmqConfig,
  loadConfigOrExit,
  DEVELOPMENT_JWT_SECRET,
  connectionUrl,
  secret,
} from '@shop/service-kit';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfig(3004),
  DATABASE_URL: connectionUrl(),
  ...rabbitmqConfig(),
  JWT_SECRET: secret(),
  // Comma-separated milliseconds before the consumer's attempt 2, 3, ...; unset means the
  // defaults in src/events/consumers.ts.
  CONSUMER_RETRY_DELAYS_MS: z
    .string()
    .regex(/^[1-9]\d*(,[1-9]\d*)*$/, 'comma-separated positive integers (milliseconds)')
    .transform((delays) => delays.split(',').map(Number))
    .optional(),
});

export type Config = z.output<typeof configSchema>;

export const developmentDefaults = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/inventory',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  JWT_SECRET: DEVELOPMENT_JWT_SECRET,
};

export const readConfig = (env = process.env): Config =>
  loadConfigOrExit(configSchema, env, { developmentDefaults });
