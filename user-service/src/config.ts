import { baseConfig, loadConfigOrExit } from '@shop/service-kit';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfig(3001),
  DATABASE_URL: z.url(),
  JWT_SECRET: z.string().min(32),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  ORDER_SERVICE_URL: z.url(),
  RABBITMQ_URL: z.url(),
});

export type Config = z.output<typeof configSchema>;

export const developmentDefaults = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/users',
  JWT_SECRET: 'development-only-secret-change-me-0123456789abcdef',
  ORDER_SERVICE_URL: 'http://127.0.0.1:3002',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
};

export const readConfig = (env = process.env): Config =>
  loadConfigOrExit(configSchema, env, { developmentDefaults });
