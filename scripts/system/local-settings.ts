import { DEVELOPMENT_JWT_SECRET } from '@shop/service-kit';

/** What `npm start` runs the shop with: the local servers and secrets, from the environment. */
export interface LocalSettings {
  postgresUrl: string;
  redisUrl: string;
  rabbitmqUrl: string;
  mongoUrl: string | undefined;
  jwtSecret: string;
  /** REGISTRY_TOKEN when set; else the launcher makes a random one for the run. */
  registryToken: string | undefined;
  admin: { email: string; password: string };
}

export function localSettings(env: Record<string, string | undefined>): LocalSettings {
  return {
    postgresUrl: env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    rabbitmqUrl: env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    mongoUrl: env.MONGODB_URL,
    jwtSecret: env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    registryToken: env.REGISTRY_TOKEN || undefined,
    admin: {
      email: env.ADMIN_EMAIL ?? 'admin@shop.local',
      password: env.ADMIN_PASSWORD ?? 'admin-dev-password',
    },
  };
}

export interface ReadyFacts {
  seconds: number;
  gatewayUrl: string;
  registryUrl: string;
  /** The token the registry wants, and the settings it came from. */
  registryToken: string;
  settings: LocalSettings;
  /** The embedded MongoDB's URL when the launcher started one. */
  embeddedMongoUrl: string;
  /** One line per domain service when it runs more than once. */
  replicaLines: string[];
}

/**
 * What `npm start` prints once every service is ready: where each part is, and curls to paste,
 * the registry's with the token it wants (REGISTRY_TOKEN, or this run's random one).
 */
export function readyBanner(facts: ReadyFacts): string {
  const { gatewayUrl, registryUrl, registryToken, settings } = facts;
  const tokenSource = settings.registryToken ? 'REGISTRY_TOKEN' : 'random for this run';
  const mongo = settings.mongoUrl ?? `${facts.embeddedMongoUrl} (embedded, data in .data/mongo)`;
  return [
    '',
    `The shop is ready in ${facts.seconds.toFixed(1)} s.`,
    `  Gateway:          ${gatewayUrl}   (API docs: ${gatewayUrl}/api/docs)`,
    `  Registry:         ${registryUrl}   (token, ${tokenSource}: ${registryToken})`,
    ...facts.replicaLines,
    `  RabbitMQ UI:      http://localhost:15672   (guest / guest; needs the rabbitmq_management plugin)`,
    `  MongoDB:          ${mongo}`,
    `  Admin account:    ${settings.admin.email} / ${settings.admin.password}`,
    '',
    'Try:',
    `  curl -s '${gatewayUrl}/api/products?limit=3'`,
    `  curl -s -H 'Authorization: Bearer ${registryToken}' '${registryUrl}/services'`,
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}
