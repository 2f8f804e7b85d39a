import net from 'node:net';

export interface Dependency {
  name: string;
  url: string;
  howToStart: string;
}

function reachable(url: string, timeoutMs = 2000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port), timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** The names of the dependencies that do not answer, each with how to start it. */
export async function unreachableDependencies(dependencies: Dependency[]): Promise<Dependency[]> {
  const results = await Promise.all(dependencies.map((dependency) => reachable(dependency.url)));
  return dependencies.filter((_, i) => !results[i]);
}

export function localDependencies(urls: {
  postgres: string;
  redis: string;
  rabbitmq: string;
}): Dependency[] {
  return [
    {
      name: 'PostgreSQL',
      url: urls.postgres,
      howToStart:
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (or: sudo systemctl start postgresql)',
    },
    {
      name: 'Redis',
      url: urls.redis,
      howToStart: 'redis-server --daemonize yes   (or: sudo systemctl start redis-server)',
    },
    {
      name: 'RabbitMQ',
      url: urls.rabbitmq,
      howToStart: 'rabbitmq-server -detached   (or: sudo systemctl start rabbitmq-server)',
    },
  ];
}
