import type { ShopEvents } from '@shop/contracts';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import type { RabbitConnection } from '@shop/messaging';
import type { Pool } from '@shop/postgres';
import { createLogger, createMetricsRegistry, type RunningServer } from '@shop/service-kit';
import type { BrokerNamespace, clientFor } from '@shop/testkit';
import {
  brokerNamespace,
  createOutboxTestDatabase,
  deleteRedisKeys,
  serveForTest,
  TEST_JWT_SECRET,
  testServers,
  uniqueName,
  useSuite,
  type OutboxTestDatabase,
} from '@shop/testkit';
import { OrderServiceClient } from '../src/clients/order-service';
import { MIGRATION_LOCK_KEY, migrations } from '../src/db/migrations';
import {
  redisSessionRevocations,
  type SessionRevocations,
} from '../src/security/session-revocation';
import type { OrderHistory } from '../src/use-cases/read-user';
import type { Session } from '../src/use-cases/sessions';
import type { AccountSettings } from '../src/config';
import { startUserService as startComposedUserService } from '../src/service';

export const logger = createLogger({
  service: 'user-service-test',
  level: (process.env.LOG_LEVEL as 'silent' | undefined) ?? 'silent',
});

/** Cheap scrypt so suites hash hundreds of passwords in seconds; production uses the defaults. */
export const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

const generous = { maxFailures: 1000, windowMs: 60_000, backoffBaseMs: 1000, backoffMaxMs: 1000 };

export function testSettings(overrides: Partial<AccountSettings> = {}): AccountSettings {
  return {
    jwtSecret: TEST_JWT_SECRET,
    accessTokenTtlSeconds: 900,
    refreshTokenTtlMs: 60_000,
    passwordHashing: FAST_SCRYPT,
    loginLimits: { account: generous, ip: generous },
    ...overrides,
  };
}

export type UserDatabase = OutboxTestDatabase;

/** A fresh `users` database with the service's and the outbox's tables, for one suite. */
export const createUserDatabase = (): Promise<UserDatabase> =>
  createOutboxTestDatabase('users', { migrations, lockKey: MIGRATION_LOCK_KEY });

/** An order-service nobody will ever reach, for suites that do not look at orders. */
const noOrders: OrderHistory = { ordersOf: () => Promise.resolve([]) };

export interface RevocationList {
  revocations: SessionRevocations;
  /** The key's remaining life in ms, or undefined when the session is not listed. */
  revokedFor(sessionId: string): Promise<number | undefined>;
  close(): Promise<void>;
}

/** The real Redis list under a prefix of this suite's own; `redisUrl` may point at a TCP proxy. */
export function startRevocationList(
  options: { accessTokenTtlMs?: number; redisUrl?: string } = {},
): RevocationList {
  const prefix = `${uniqueName('revoked-session-test')}:`;
  const redis = new Redis(options.redisUrl ?? testServers.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const revocations = redisSessionRevocations({
    redis,
    prefix,
    accessTokenTtlMs: options.accessTokenTtlMs ?? 900_000,
  });
  const checker = new Redis(testServers.redisUrl);
  return {
    revocations,
    async revokedFor(sessionId) {
      const [value, ttl] = await Promise.all([
        checker.get(`${prefix}${sessionId}`),
        checker.pttl(`${prefix}${sessionId}`),
      ]);
      return value === '1' ? ttl : undefined;
    },
    async close() {
      await deleteRedisKeys(checker, prefix);
      redis.disconnect();
      checker.disconnect();
    },
  };
}

export interface RunningUserService {
  url: string;
  http: ReturnType<typeof clientFor>;
  server: RunningServer;
  revoked: RevocationList;
  /** The service's own broker connection, where its relay publishes. */
  rabbit: RabbitConnection<ShopEvents>;
  /** Its namespace on the broker, for a test's probe queue. */
  broker: BrokerNamespace;
  close(): Promise<void>;
}

/**
 * user-service as main.ts starts it (src/service.ts), in-process on a random port, over the given
 * database, a real revocation list and a RabbitMQ namespace of its own.
 */
export async function startUserService(
  pool: Pool,
  options: {
    settings?: AccountSettings;
    orders?: OrderHistory;
    revoked?: RevocationList;
    trustProxy?: number;
  } = {},
): Promise<RunningUserService> {
  const settings = options.settings ?? testSettings();
  const revoked =
    options.revoked ??
    startRevocationList({ accessTokenTtlMs: settings.accessTokenTtlSeconds * 1000 });
  const metrics = createMetricsRegistry('user-service');
  const broker = brokerNamespace('users');
  const rabbit = broker.connect({ logger, metrics }, { reconnectDelayMs: 50 });
  await rabbit.waitUntilConnected(10_000);
  const service = await startComposedUserService(
    { account: settings, trustProxy: options.trustProxy ?? 1, relay: { intervalMs: 100 } },
    {
      pool,
      rabbit,
      revocations: revoked.revocations,
      orders: options.orders ?? noOrders,
    },
    { logger, metrics },
  );
  const served = await serveForTest(service);
  return {
    url: served.url,
    http: served.http,
    server: served.server,
    revoked,
    rabbit,
    broker,
    close: async () => {
      await served.close();
      await rabbit.close();
      await broker.delete();
      if (!options.revoked) await revoked.close();
    },
  };
}

export interface UserServiceSuite {
  database: UserDatabase;
  service: RunningUserService;
}

/**
 * At the top of a suite: a fresh database and the service over it before the tests, both gone
 * after them. `options` is read in that before hook.
 */
export function useUserService(
  options: () => Parameters<typeof startUserService>[1] = () => ({}),
): UserServiceSuite {
  return useSuite(
    async () => {
      const database = await createUserDatabase();
      return { database, service: await startUserService(database.pool, options()) };
    },
    async ({ database, service }) => {
      await service.close();
      await database.close();
    },
  );
}

/**
 * For one test: another user-service over the suite's database, with `settings` on top of
 * testSettings; closed once `use` is done.
 */
export async function withUserService(
  suite: UserServiceSuite,
  settings: Partial<AccountSettings>,
  use: (service: RunningUserService) => Promise<void>,
): Promise<void> {
  const service = await startUserService(suite.database.pool, { settings: testSettings(settings) });
  try {
    await use(service);
  } finally {
    await service.close();
  }
}

export function orderServiceAt(url: string, timeoutMs: number): OrderServiceClient {
  return new OrderServiceClient({ url, timeoutMs, logger });
}

export function newCustomer(
  overrides: Partial<{ email: string; password: string; name: string }> = {},
) {
  return {
    email: `${uniqueName('customer')}@example.com`,
    password: 'Correct-Horse-7',
    name: 'Ada Customer',
    ...overrides,
  };
}

/** Registers a customer and logs them in; returns the login answer's body and the credentials. */
export async function signedInCustomer(
  http: RunningUserService['http'],
  headers?: Record<string, string>,
) {
  const customer = newCustomer();
  const registered = await http.post('/users/register', customer);
  if (registered.status !== 201) throw new Error(`register gave ${registered.status}`);
  const login = await http.post(
    '/users/login',
    { email: customer.email, password: customer.password },
    headers ? { headers } : {},
  );
  if (login.status !== 200) throw new Error(`login gave ${login.status}`);
  return {
    customer,
    session: login.body as Session,
  };
}

export interface StubServer {
  url: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A stand-in for another service: `respond` answers, or leaves the request hanging by not calling it. */
export async function startStubServer(
  respond: (req: IncomingMessage, answer: (status: number, body: unknown) => void) => void,
): Promise<StubServer> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    respond(req, (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port that was free a moment ago and that nothing listens on. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The session id (`sid`) an access token carries, read without verifying it. */
export function sessionIdOf(accessToken: string): string {
  const claims = jwt.decode(accessToken);
  if (typeof claims !== 'object' || claims === null || typeof claims.sid !== 'string') {
    throw new Error('the access token carries no sid');
  }
  return claims.sid;
}
