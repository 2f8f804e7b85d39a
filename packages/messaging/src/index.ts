export * from './catalog';
export * from './envelope';
export * from './connection';
export * from './errors';
export * from './consumer';
export * from './outbox';
export * from './relay';
export * from './inbox';
export * from './migrations';
export * from './metrics';
export {
  qualify,
  retryQueueName,
  deadQueueName,
  QUEUE_TYPES,
  DELIVERY_LIMIT,
  type QueueType,
} from './topology';
export { routeFailure, type FailureRoute, type RetryPolicy } from './failure-routing';
export { inEventContext } from './causing-trace';
export * from './startup';
export * from './dead-letters';
export * from './queue-depth';
