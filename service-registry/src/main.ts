import './instrument';
import { runService } from '@shop/service-kit';
import { readConfig } from './config';
import { startRegistryService } from './service';

const config = readConfig();

void runService({
  service: 'service-registry',
  config,
  start: async (runtime) => {
    if (!config.REGISTRY_TOKEN) {
      runtime.logger.warn(
        'REGISTRY_TOKEN is unset: anyone who can reach the registry can register, deregister and ' +
          'discover instances (fine for local development only)',
      );
    }
    const registry = startRegistryService(config, runtime);
    return {
      app: registry.app,
      shutdown: [{ name: 'sweeper', run: () => registry.stop() }],
    };
  },
});
