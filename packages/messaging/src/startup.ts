import { connectRabbit, type ConnectRabbitOptions, type RabbitConnection } from './connection';

/**
 * What a service's main.ts does: connect, and wait a moment so a normal start is ready at once.
 * A broker that is down does not stop the start: the connection keeps retrying, events wait in
 * the outbox, and /ready says not ready until the broker is back.
 */
export async function connectRabbitAtStartup(
  options: ConnectRabbitOptions & { waitMs?: number },
): Promise<RabbitConnection> {
  const rabbit = connectRabbit(options);
  await rabbit.waitUntilConnected(options.waitMs ?? 5000).catch(() => {
    options.logger.warn(
      'RabbitMQ is not reachable yet; starting anyway, events wait in the outbox',
    );
  });
  return rabbit;
}

/** A readiness check: throws while the broker connection is down. */
export function rabbitReadiness(rabbit: Pick<RabbitConnection, 'isConnected'>) {
  return () => {
    if (!rabbit.isConnected()) throw new Error('not connected to RabbitMQ');
  };
}
