import { runService, type RunServiceOptions } from '@shop/service-kit';
import { registerOnceListening, type RegistrySettings } from './registration';

/**
 * `runService` for a service others discover: once it listens, it registers under its service
 * name (when REGISTRY_URL is set) and deregisters first on shutdown.
 */
export function runRegisteredService(
  options: RunServiceOptions & { config: RunServiceOptions['config'] & RegistrySettings },
): Promise<void> {
  return runService({
    ...options,
    start: async (runtime) => ({
      ...(await options.start(runtime)),
      afterListen: registerOnceListening(options.config, {
        name: options.service,
        logger: runtime.logger,
      }),
    }),
  });
}
