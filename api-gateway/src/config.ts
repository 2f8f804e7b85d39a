import {
  baseConfig,
  loadConfigOrExit,
  optionalPort,
  positiveInt,
  DEVELOPMENT_JWT_SECRET,
  connectionUrl,
  secret,
} from '@shop/service-kit';
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

const STATIC_URLS = [
  'USER_SERVICE_URL',
  'ORDER_SERVICE_URL',
  'PRODUCT_SERVICE_URL',
  'INVENTORY_SERVICE_URL',
] as const;

export const configSchema = z
  .object({
    ...baseConfig(3000),
    JWT_SECRET: secret(),
    REDIS_URL: connectionUrl(),
    // Each is the fallback when the registry is unset, down or knows no instance; so each is
    // required unless REGISTRY_URL is set.
    USER_SERVICE_URL: z.url().optional(),
    ORDER_SERVICE_URL: z.url().optional(),
    PRODUCT_SERVICE_URL: z.url().optional(),
    INVENTORY_SERVICE_URL: z.url().optional(),
    CORS_ORIGINS: origins,
    RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
    RATE_LIMIT_MAX: positiveInt(100),
    AUTH_RATE_LIMIT_MAX: positiveInt(10),
    // How long hits judged locally wait to share one Redis script (see middleware/admission.ts).
    // Each script is a write to Redis and a reply to read: at 5 ms they were some 6 % of a loaded
    // gateway's CPU per proxied read, at 25 ms a fifth of that, and a replica's hits still reach
    // Redis within a fortieth of a second (bench/README.md, "A sixth look").
    RATE_LIMIT_BATCH_MS: positiveInt(25),
    // How long a session Redis called live is believed (see domain/live-sessions.ts); the brief
    // has ended sessions refused within a second, so no more is accepted.
    SESSION_CHECK_MS: z.coerce.number().int().min(0).max(1000).default(500),
    // Load balancers in front of the gateway whose X-Forwarded-For is believed; 0 = the client
    // is whoever opened the connection. Rate limits and login throttling key on that address.
    TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
    // Replicas that share it share their limits; a separate deployment on the same Redis uses another.
    RATE_LIMIT_PREFIX: z.string().min(1).max(100).default('gateway:rate-limit:'),
    // Largest request body the gateway passes on; bigger ones get 413 before reaching a service.
    BODY_LIMIT_BYTES: positiveInt(100 * 1024),
    // How long an upstream may take to answer, once it has the whole request, before the caller
    // gets 504.
    UPSTREAM_TIMEOUT_MS: positiveInt(10_000),
    // How long a client may take to send its request body before it gets 408: a slow upload must
    // not hold an upstream connection for minutes.
    REQUEST_BODY_TIMEOUT_MS: positiveInt(10_000),
    // Kept-alive connections per upstream instance: at most this many at once, each closed after
    // this long idle (below the services' 65 s keep-alive, so the gateway always closes first).
    UPSTREAM_CONNECTIONS: positiveInt(64),
    UPSTREAM_IDLE_TIMEOUT_MS: positiveInt(30_000),
    // Where user-service marks ended sessions; the gateway refuses their access tokens.
    REVOKED_SESSION_PREFIX: z.string().min(1).max(100).default('revoked-session:'),
    CIRCUIT_FAILURE_THRESHOLD: positiveInt(5),
    CIRCUIT_RESET_MS: positiveInt(10_000),
    DISCOVERY_CACHE_MS: positiveInt(2000),
    // Where /metrics is served instead of the public port (9400 in Compose and Kubernetes).
    METRICS_PORT: optionalPort(),
  })
  .superRefine((config, context) => {
    if (config.REGISTRY_URL) return;
    for (const name of STATIC_URLS) {
      if (!config[name]) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: 'required without REGISTRY_URL',
        });
      }
    }
  });

export type Config = z.output<typeof configSchema>;

export const developmentDefaults = {
  JWT_SECRET: DEVELOPMENT_JWT_SECRET,
  REDIS_URL: 'redis://127.0.0.1:6379',
  USER_SERVICE_URL: 'http://127.0.0.1:3001',
  ORDER_SERVICE_URL: 'http://127.0.0.1:3002',
  PRODUCT_SERVICE_URL: 'http://127.0.0.1:3003',
  INVENTORY_SERVICE_URL: 'http://127.0.0.1:3004',
  CORS_ORIGINS: 'http://localhost:3000',
};

export const readConfig = (env = process.env): Config =>
  loadConfigOrExit(configSchema, env, { developmentDefaults });
