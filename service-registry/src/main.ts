import { runService } from '@shop/service-kit';
import { buildApp } from './app';
import { readConfig } from './config';

const config = readConfig();

void runService({
  service: 'service-registry',
  port: config.PORT,
  host: config.HOST,
  logLevel: config.LOG_LEVEL,
  start: async ({ logger, metrics }) => ({ app: buildApp({ logger, metrics }) }),
});
