import net from 'node:net';

export type DependencyKind = 'postgres' | 'redis' | 'rabbitmq' | 'mongodb';

export interface Dependency {
  name: string;
  kind: DependencyKind;
  url: string;
}

const NAMES: Record<DependencyKind, string> = {
  postgres: 'PostgreSQL',
  redis: 'Redis',
  rabbitmq: 'RabbitMQ',
  mongodb: 'MongoDB',
};

/** The port each scheme means when its URL names none (`postgres://localhost/shop`). */
const DEFAULT_PORTS: Record<string, number> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'redis:': 6379,
  'rediss:': 6379,
  'amqp:': 5672,
  'amqps:': 5671,
  'mongodb:': 27017,
};

/** Host and port a URL points at, with the scheme's default port when it names none. */
export function endpointOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORTS[parsed.protocol];
  if (port === undefined) throw new Error(`${url} names no port and ${parsed.protocol} has none`);
  // An IPv6 literal comes back in brackets, which net.connect does not take.
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port };
}

function reachable(url: string, timeoutMs = 2000): Promise<boolean> {
  const { host, port } = endpointOf(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** The dependencies that do not answer. */
export async function unreachableDependencies(dependencies: Dependency[]): Promise<Dependency[]> {
  const results = await Promise.all(dependencies.map((dependency) => reachable(dependency.url)));
  return dependencies.filter((_, i) => !results[i]);
}

export function localDependencies(urls: {
  postgres: string;
  redis: string;
  rabbitmq: string;
  mongodb?: string | undefined;
}): Dependency[] {
  const kinds: DependencyKind[] = ['postgres', 'redis', 'rabbitmq'];
  if (urls.mongodb) kinds.push('mongodb');
  return kinds.map((kind) => ({ name: NAMES[kind], kind, url: urls[kind]! }));
}

interface Hints {
  debian: string;
  macos: string;
  docker: (port: number) => string;
}

// Development set-ups only: trust auth and guest accounts are what the launcher's defaults expect.
const HINTS: Record<DependencyKind, Hints> = {
  postgres: {
    debian: 'sudo apt-get install -y postgresql && sudo systemctl start postgresql',
    macos: 'brew install postgresql@17 && brew services start postgresql@17',
    docker: (port) =>
      `docker run -d --name shop-postgres -p ${port}:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:17-alpine`,
  },
  redis: {
    debian: 'sudo apt-get install -y redis-server && sudo systemctl start redis-server',
    macos: 'brew install redis && brew services start redis',
    docker: (port) => `docker run -d --name shop-redis -p ${port}:6379 redis:7-alpine`,
  },
  rabbitmq: {
    debian: 'sudo apt-get install -y rabbitmq-server && sudo systemctl start rabbitmq-server',
    macos: 'brew install rabbitmq && brew services start rabbitmq',
    docker: (port) =>
      `docker run -d --name shop-rabbitmq -p ${port}:5672 -p 15672:15672 rabbitmq:4-management-alpine`,
  },
  mongodb: {
    debian: 'see https://www.mongodb.com/docs/manual/administration/install-on-linux/',
    macos:
      'brew tap mongodb/brew && brew install mongodb-community && brew services start mongodb-community',
    docker: (port) => `docker run -d --name shop-mongo -p ${port}:27017 mongo:8`,
  },
};

/**
 * What `npm start` prints for a dependency that does not answer: its URL and how to start it on
 * this platform (Debian/Ubuntu, macOS, or both elsewhere) or with one `docker run`.
 */
export function startHints(dependency: Dependency, platform: NodeJS.Platform): string {
  const hints = HINTS[dependency.kind];
  const { host, port } = endpointOf(dependency.url);
  const lines = [`${dependency.name} is not reachable at ${host}:${port}. Start it with one of:`];
  if (platform !== 'darwin') lines.push(`  Debian/Ubuntu: ${hints.debian}`);
  if (platform !== 'linux') lines.push(`  macOS:         ${hints.macos}`);
  lines.push(`  Docker:        ${hints.docker(port)}`);
  return lines.join('\n');
}
