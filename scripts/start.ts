// `npm start`: the whole system as local processes against Postgres, Redis and RabbitMQ on
// localhost, with MongoDB at MONGODB_URL or the embedded MongoDB-compatible server.
// `npm start -- --replicas N` runs N instances of every domain service; `--port-offset N` moves
// every port by N, so a second copy can run beside the first.
import path from 'node:path';
import { parseStartArguments } from './system/arguments';
import { PortTakenError, startSystem, type RunningSystem } from './system/launcher';
import { localSettings, readyBanner } from './system/local-settings';
import { colourFor, formatLogLine } from './system/log-format';
import { localDependencies, startHints, unreachableDependencies } from './system/preflight';
import { SERVICES, DOMAIN_SERVICES } from './system/services';

const root = path.resolve(__dirname, '..');
const env = process.env;
const settings = localSettings(env);

function fail(line: string): never {
  console.error(line);
  process.exit(1);
}

let startArguments: ReturnType<typeof parseStartArguments>;
try {
  startArguments = parseStartArguments(process.argv.slice(2));
} catch (error) {
  fail(`npm start: ${(error as Error).message}`);
}
const { replicas, portOffset } = startArguments;

const useColour = process.stdout.isTTY && !env.NO_COLOR;
const labelSuffix = replicas > 1 ? `#${replicas}`.length : 0;
const width = Math.max(
  ...SERVICES.map((service) => service.name.length + labelSuffix),
  'mongo-embedded'.length,
);
const colours = new Map<string, (text: string) => string>();
function print(source: string, line: string) {
  if (!colours.has(source)) colours.set(source, colourFor(colours.size, useColour));
  process.stdout.write(`${colours.get(source)!(source.padEnd(width))} | ${formatLogLine(line)}\n`);
}

/** Each domain service's instances on one line when there are several. */
function replicaLines(system: RunningSystem): string[] {
  if (replicas === 1) return [];
  return [
    '  Replicas (each registered; the gateway round-robins over them):',
    ...DOMAIN_SERVICES.map(
      (service) =>
        `    ${service.padEnd(18)} ${system
          .instances(service)
          .map((instance) => `${instance.label} ${instance.url}`)
          .join(', ')}`,
    ),
  ];
}

async function main() {
  const dependencies = localDependencies({
    postgres: settings.postgresUrl,
    redis: settings.redisUrl,
    rabbitmq: settings.rabbitmqUrl,
    mongodb: settings.mongoUrl,
  });
  const missing = await unreachableDependencies(dependencies);
  if (missing.length > 0) {
    fail(missing.map((dependency) => startHints(dependency, process.platform)).join('\n'));
  }

  const started = Date.now();
  console.log(
    `Starting the shop: registry, ${replicas > 1 ? `${replicas} of each of ` : ''}user, product, ` +
      'inventory, order services, then the gateway...',
  );
  const system = await startSystem({
    root,
    replicas,
    portOffset,
    postgresUrl: settings.postgresUrl,
    databases: { users: 'users', orders: 'orders', inventory: 'inventory' },
    redisUrl: settings.redisUrl,
    rabbitmqUrl: settings.rabbitmqUrl,
    mongoUrl: settings.mongoUrl,
    mongoDataDir: path.join(root, '.data', 'mongo'),
    jwtSecret: settings.jwtSecret,
    registryToken: settings.registryToken,
    admin: settings.admin,
    env: { LOG_LEVEL: env.LOG_LEVEL ?? 'info', SEED_DEMO_CATALOG: 'true' },
    output: print,
    onReady: (_service, url, seconds, label) =>
      console.log(`\u2714 ${label.padEnd(width)} ready on ${url} (${seconds.toFixed(1)} s)`),
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

  console.log(
    readyBanner({
      seconds: (Date.now() - started) / 1000,
      gatewayUrl: system.urls['api-gateway'],
      registryUrl: system.urls['service-registry'],
      registryToken: system.registryToken,
      settings,
      embeddedMongoUrl: system.mongoUrl,
      replicaLines: replicaLines(system),
    }),
  );
}

main().catch((error: unknown) => {
  if (error instanceof PortTakenError) fail(`npm start: ${error.message}`);
  fail(`npm start failed: ${(error as Error).message}`);
});
