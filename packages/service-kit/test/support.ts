import type { Express } from 'express';
import {
  createLogger,
  createMetricsRegistry,
  createServiceApp,
  type ServiceAppOptions,
} from '../src';

export function testApp(
  options: Partial<ServiceAppOptions> & Pick<ServiceAppOptions, 'routes'>,
): Express {
  return createServiceApp({
    service: 'test-service',
    logger: createLogger({ service: 'test-service', level: 'silent' }),
    metrics: createMetricsRegistry('test-service'),
    ...options,
  });
}
