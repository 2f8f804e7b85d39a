import {
  baseConfig,
  rabbitmqConfig,
  loadConfigOrExit,
  positiveInt,
  DEVELOPMENT_JWT_SECRET,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  connectionUrl,
  password,
  secret,
} from '@shop/service-kit';
import { z } from 'zod';
import type { ThrottleLimits } from './domain/login-throttle';
import { DEFAULT_SCRYPT_PARAMS, type ScryptParams } from './security/passwords';

export const configSchema = z
  .object({
    ...baseConfig(3001),
    DATABASE_URL: connectionUrl(),
    JWT_SECRET: secret(),
    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: password(8).optional(),
    ORDER_SERVICE_URL: z.url(),
    ...rabbitmqConfig(),
    // Ended sessions are listed here for the gateway (the same REDIS_URL and prefix it reads).
    REDIS_URL: connectionUrl(),
    REVOKED_SESSION_PREFIX: z.string().min(1).max(100).default('revoked-session:'),
    // Hops in front of user-service whose X-Forwarded-For is believed: 1 is the gateway, which
    // appends the address it saw. 0 when clients reach user-service directly.
    TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(1),
    // Verifiers refuse longer-lived tokens, so a longer setting is refused here, at start.
    ACCESS_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .positive()
      .max(MAX_ACCESS_TOKEN_LIFETIME_SECONDS)
      .default(900),
    REFRESH_TOKEN_TTL_DAYS: positiveInt(30),
    ORDER_SERVICE_TIMEOUT_MS: positiveInt(1000),
    // Failed logins for one account from one address before it must wait (backoff doubles).
    LOGIN_MAX_FAILURES: positiveInt(5),
    // Failed logins from one address, whatever the account, before that address must wait.
    LOGIN_MAX_FAILURES_PER_IP: positiveInt(50),
    LOGIN_WINDOW_SECONDS: positiveInt(900),
    LOGIN_BACKOFF_BASE_SECONDS: positiveInt(30),
    LOGIN_BACKOFF_MAX_SECONDS: positiveInt(900),
  })
  .superRefine((config, context) => {
    // One without the other is a half-configured admin: refuse rather than guess.
    if ((config.ADMIN_EMAIL === undefined) !== (config.ADMIN_PASSWORD === undefined)) {
      const missing = config.ADMIN_EMAIL === undefined ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD';
      context.addIssue({ code: 'custom', path: [missing], message: 'is required' });
    }
  });

export type Config = z.output<typeof configSchema>;

export const developmentDefaults = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/users',
  JWT_SECRET: DEVELOPMENT_JWT_SECRET,
  ORDER_SERVICE_URL: 'http://127.0.0.1:3002',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

export const readConfig = (env = process.env): Config =>
  loadConfigOrExit(configSchema, env, { developmentDefaults });

export interface LoginLimits {
  /** Per account and address pair: a guesser elsewhere never locks the real user out. */
  account: ThrottleLimits;
  /** Per address, whatever the account: stops one machine from spraying many accounts. */
  ip: ThrottleLimits;
}

/** Everything the account flows need besides the database; tests pass small numbers. */
export interface AccountSettings {
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlMs: number;
  passwordHashing: ScryptParams;
  loginLimits: LoginLimits;
}

const SECOND = 1000;
const DAY = 86_400 * SECOND;

export function accountSettingsFrom(config: Config): AccountSettings {
  const throttle = (maxFailures: number): ThrottleLimits => ({
    maxFailures,
    windowMs: config.LOGIN_WINDOW_SECONDS * SECOND,
    backoffBaseMs: config.LOGIN_BACKOFF_BASE_SECONDS * SECOND,
    backoffMaxMs: config.LOGIN_BACKOFF_MAX_SECONDS * SECOND,
  });
  return {
    jwtSecret: config.JWT_SECRET,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlMs: config.REFRESH_TOKEN_TTL_DAYS * DAY,
    passwordHashing: DEFAULT_SCRYPT_PARAMS,
    loginLimits: {
      account: throttle(config.LOGIN_MAX_FAILURES),
      ip: throttle(config.LOGIN_MAX_FAILURES_PER_IP),
    },
  };
}
