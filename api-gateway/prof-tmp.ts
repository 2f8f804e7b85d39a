import http from 'node:http';
import { Redis } from 'ioredis';
import { createLogger, createMetricsRegistry, listen } from '@shop/service-kit';
import { buildApp } from './src/app';
import { configSchema } from './src/config';

async function main() {
  const upstream = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"abc","name":"thing","price":100}');
  });
  upstream.keepAliveTimeout = 65000;
  await new Promise<void>((r) => upstream.listen(4999, '127.0.0.1', r));
  const url = 'http://127.0.0.1:4999';
  const config = configSchema.parse({
    NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), REDIS_URL: 'redis://127.0.0.1:6379',
    RATE_LIMIT_MAX: '100000000', USER_SERVICE_URL: url, PRODUCT_SERVICE_URL: url, ORDER_SERVICE_URL: url, INVENTORY_SERVICE_URL: url,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const redis = new Redis(config.REDIS_URL);
  const logger = createLogger({ service: 'api-gateway', level: config.LOG_LEVEL });
  const gw = buildApp({ config, logger, metrics: createMetricsRegistry('api-gateway'), redis, rateLimitPrefix: 'prof-tmp:' });
  await listen(gw.app, 4998, '127.0.0.1');
  console.log('ready');
  process.on('SIGINT', () => process.exit(0));
}
void main();
