import { startPeriodicTask, type Logger, type PeriodicTask } from '@shop/service-kit';
import type { ServiceRegistry } from '../domain/registry';

/** Forgets instances that stopped heartbeating, so the registry does not grow without end. */
export function startSweeper(options: {
  registry: ServiceRegistry;
  logger: Logger;
  intervalMs: number;
}): PeriodicTask {
  return startPeriodicTask({
    name: 'instance sweeper',
    logger: options.logger,
    everyMs: options.intervalMs,
    run: async () => {
      const removed = options.registry.sweep();
      if (removed.length > 0) {
        options.logger.info({ serviceIds: removed }, 'forgot instances that stopped heartbeating');
      }
    },
  });
}
