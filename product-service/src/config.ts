import { baseConfig, loadConfigOrExit } from '@shop/service-kit';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfig(3003),
  // Unset: the embedded MongoDB-compatible server is started (development and tests only).
  MONGODB_URL: z.url().optional(),
  REDIS_URL: z.url(),
  RABBITMQ_URL: z.url(),
  JWT_SECRET: z.string().min(32),
});

export type Config = z.output<typeof configSchema>;

export const developmentDefaults = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  JWT_SECRET: 'development-only-secret-change-me-0123456789abcdef',
};

export const readConfig = (env = process.env): Config =>
  loadConfigOrExit(configSchema, env, { developmentDefaults });
