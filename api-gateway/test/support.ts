import express from 'express';
import { Redis } from 'ioredis';
import type { Discovery } from '@shop/registry-client';
import {
  createLogger,
  createMetricsRegistry,
  type Logger,
  type Principal,
} from '@shop/service-kit';
import {
  clientFor,
  deleteRedisKeys,
  startTestServer,
  TEST_JWT_SECRET,
  testServers,
  tokenFor,
  uniqueName,
  useSuite,
  waitFor,
} from '@shop/testkit';
import { startGatewayService } from '../src/service';
import { configSchema, type Config } from '../src/config';

export const silentLogger = createLogger({ service: 'api-gateway', level: 'silent' });

export const customer: Principal = { userId: 'customer-1', role: 'customer' };
export const admin: Principal = { userId: 'admin-1', role: 'admin' };
export const customerToken = () => tokenFor(customer);

/** What a stub upstream saw of one request. */
export interface Received {
  upstream: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A tiny upstream over real HTTP that answers every request with what it received, and keeps a
 * list of it, so a test can check exactly what reached the service.
 */
export async function startEcho(upstream: string, options: { hang?: boolean } = {}) {
  const received: Received[] = [];
  const app = express();
  app.use((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen = {
        upstream,
        method: req.method,
        path: req.originalUrl,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(seen);
      if (!options.hang) res.json(seen);
    });
  });
  const server = await startTestServer(app);
  return {
    url: server.url,
    port: server.port,
    received,
    close: () => {
      server.server.closeAllConnections();
      return server.close();
    },
  };
}

export type Echo = Awaited<ReturnType<typeof startEcho>>;

export function gatewayConfig(env: Record<string, string> = {}): Config {
  return configSchema.parse({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    REDIS_URL: testServers.redisUrl,
    RATE_LIMIT_MAX: '10000',
    AUTH_RATE_LIMIT_MAX: '10000',
    UPSTREAM_TIMEOUT_MS: '1000',
    ...env,
  });
}

export interface GatewayUnderTest {
  url: string;
  api: ReturnType<typeof clientFor>;
  redis: Redis;
  close(): Promise<void>;
}

/** The gateway as main.ts starts it (src/service.ts), in-process on a random port, with its own Redis connection and key prefix. */
export async function startGateway(options: {
  env: Record<string, string>;
  discovery?: Discovery;
  rateLimitPrefix?: string;
  redisUrl?: string;
  waitForRedis?: boolean;
  /** Silent unless a test reads the lines. */
  logger?: Logger;
}): Promise<GatewayUnderTest> {
  const redis = new Redis(options.redisUrl ?? testServers.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const prefix = options.rateLimitPrefix ?? `${uniqueName('gateway-test')}:`;
  const gateway = startGatewayService(
    gatewayConfig(options.env),
    { redis, ...(options.discovery ? { discovery: options.discovery } : {}) },
    { logger: options.logger ?? silentLogger, metrics: createMetricsRegistry('api-gateway') },
    { rateLimitPrefix: prefix },
  );
  const server = await startTestServer(gateway.app);
  // Until Redis is connected the gateway does not count requests (it fails open); tests that
  // count must start from a connected gateway.
  if (options.waitForRedis ?? true) await waitFor(() => redis.status === 'ready');
  return {
    url: server.url,
    api: clientFor(server.url),
    redis,
    close: async () => {
      await server.close();
      await gateway.stop();
      // The keys expire with their window anyway; a test that cut Redis cannot delete them.
      await deleteRedisKeys(redis, prefix).catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** The env of a gateway whose four upstreams are the given stub servers. */
export function upstreamEnv(echoes: {
  users: Echo;
  products: Echo;
  orders: Echo;
  inventory: Echo;
}): Record<string, string> {
  return {
    USER_SERVICE_URL: echoes.users.url,
    PRODUCT_SERVICE_URL: echoes.products.url,
    ORDER_SERVICE_URL: echoes.orders.url,
    INVENTORY_SERVICE_URL: echoes.inventory.url,
  };
}

export async function startEchoes() {
  const [users, products, orders, inventory] = await Promise.all([
    startEcho('user-service'),
    startEcho('product-service'),
    startEcho('order-service'),
    startEcho('inventory-service'),
  ]);
  return {
    users: users!,
    products: products!,
    orders: orders!,
    inventory: inventory!,
    all: [users!, products!, orders!, inventory!],
    totalReceived: () =>
      [users, products, orders, inventory].reduce((n, e) => n + e!.received.length, 0),
    close: () => Promise.all([users, products, orders, inventory].map((e) => e!.close())),
  };
}

/**
 * At the top of a suite whose tests start gateways and upstreams of their own: four echo
 * upstreams before its tests; after them, the gateways it started and what the tests handed to
 * `onCleanup` (last first), then the echoes.
 */
export function useEchoes() {
  return useSuite(
    async () => {
      const cleanups: (() => Promise<unknown>)[] = [];
      const echoes = await startEchoes();
      return {
        echoes,
        cleanups,
        onCleanup: (...closes: (() => Promise<unknown>)[]) => {
          cleanups.push(...closes);
        },
        /** A gateway in front of the echoes (`env` on top), closed after the suite. */
        async startGateway(options: { env?: Record<string, string>; discovery?: Discovery } = {}) {
          const gateway = await startGateway({
            env: { ...upstreamEnv(echoes), ...options.env },
            ...(options.discovery ? { discovery: options.discovery } : {}),
          });
          cleanups.push(gateway.close);
          return gateway;
        },
      };
    },
    async ({ echoes, cleanups }) => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await echoes.close();
    },
  );
}

export interface GatewaySuite {
  echoes: Awaited<ReturnType<typeof startEchoes>>;
  gateway: GatewayUnderTest;
}

/**
 * At the top of a suite: four echo upstreams and a gateway in front of them (with `env` on top)
 * before its tests, both closed after them.
 */
export function useGateway(env: Record<string, string> = {}): GatewaySuite {
  return useSuite(
    async () => {
      const echoes = await startEchoes();
      return { echoes, gateway: await startGateway({ env: { ...upstreamEnv(echoes), ...env } }) };
    },
    async ({ echoes, gateway }) => {
      await gateway.close();
      await echoes.close();
    },
  );
}

/** A Redis command as the client sent it: its name and its arguments as text. */
export interface SentCommand {
  name: string;
  args: string[];
}

/** The Redis commands `redis` sends while `work` runs. */
export async function redisCommandsDuring(
  redis: Redis,
  work: () => Promise<void>,
): Promise<SentCommand[]> {
  const sent: SentCommand[] = [];
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    sent.push({ name: command.name, args: command.args.map(String) });
    return original(command, stream);
  };
  try {
    await work();
  } finally {
    redis.sendCommand = original;
  }
  return sent;
}
