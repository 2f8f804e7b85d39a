// `npm start`: the whole system as local processes against Postgres, Redis and RabbitMQ on
// localhost, with MongoDB at MONGODB_URL or the embedded MongoDB-compatible server.
import path from 'node:path';
import { DEVELOPMENT_JWT_SECRET } from '@shop/service-kit';
import { startSystem } from './system/launcher';
import { colourFor, formatLogLine } from './system/log-format';
import { localDependencies, unreachableDependencies } from './system/preflight';
import { SERVICES } from './system/services';

const root = path.resolve(__dirname, '..');
const env = process.env;
const settings = {
  postgresUrl: env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  rabbitmqUrl: env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  mongoUrl: env.MONGODB_URL,
  jwtSecret: env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
  admin: {
    email: env.ADMIN_EMAIL ?? 'admin@shop.local',
    password: env.ADMIN_PASSWORD ?? 'admin-dev-password',
  },
};

const useColour = process.stdout.isTTY && !env.NO_COLOR;
const width = Math.max(...SERVICES.map((service) => service.name.length), 'mongo-embedded'.length);
const colours = new Map<string, (text: string) => string>();
function print(source: string, line: string) {
  if (!colours.has(source)) colours.set(source, colourFor(colours.size, useColour));
  process.stdout.write(`${colours.get(source)!(source.padEnd(width))} | ${formatLogLine(line)}\n`);
}

async function main() {
  const dependencies = localDependencies({
    postgres: settings.postgresUrl,
    redis: settings.redisUrl,
    rabbitmq: settings.rabbitmqUrl,
  });
  const missing = await unreachableDependencies(dependencies);
  if (missing.length > 0) {
    for (const dependency of missing) {
      console.error(
        `${dependency.name} is not reachable at ${dependency.url}. Start it with:\n  ${dependency.howToStart}`,
      );
    }
    process.exit(1);
  }

  const started = Date.now();
  console.log(
    'Starting the shop: registry, user, product, inventory, order services, then the gateway...',
  );
  const system = await startSystem({
    root,
    postgresUrl: settings.postgresUrl,
    databases: { users: 'users', orders: 'orders', inventory: 'inventory' },
    redisUrl: settings.redisUrl,
    rabbitmqUrl: settings.rabbitmqUrl,
    mongoUrl: settings.mongoUrl,
    mongoDataDir: path.join(root, '.data', 'mongo'),
    jwtSecret: settings.jwtSecret,
    admin: settings.admin,
    env: { LOG_LEVEL: env.LOG_LEVEL ?? 'info', SEED_DEMO_CATALOG: 'true' },
    output: print,
    onReady: (service, url, seconds) =>
      console.log(`\u2714 ${service.padEnd(width)} ready on ${url} (${seconds.toFixed(1)} s)`),
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping every service...');
    await system.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const gateway = system.urls['api-gateway'];
  console.log(
    [
      '',
      `The shop is ready in ${seconds} s.`,
      `  Gateway:          ${gateway}   (API docs: ${gateway}/api/docs)`,
      `  RabbitMQ UI:      http://localhost:15672   (guest / guest; needs the rabbitmq_management plugin)`,
      `  MongoDB:          ${settings.mongoUrl ? settings.mongoUrl : `${system.mongoUrl} (embedded, data in .data/mongo)`}`,
      `  Admin account:    ${settings.admin.email} / ${settings.admin.password}`,
      '',
      'Try:',
      `  curl -s '${gateway}/api/products?limit=3'`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
});
