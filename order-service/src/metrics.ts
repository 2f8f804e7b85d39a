import { promClient, type MetricsRegistry } from '@shop/service-kit';
import type { OrderStatus } from './domain/order-status';

export interface OrderMetrics {
  orderCreated(): void;
  /** A committed move of one order from `from` to `to`. */
  orderMoved(move: { from: OrderStatus; to: OrderStatus; createdAt: Date; at: Date }): void;
  /** A PENDING order cancelled because inventory never answered (counted in final too). */
  orderExpired(): void;
}

/** The order-service metrics, on the instance's own registry (never prom-client's global one). */
export function createOrderMetrics(registry: MetricsRegistry): OrderMetrics {
  const created = new promClient.Counter({
    name: 'orders_created_total',
    help: 'Orders placed (each idempotent retry of one order counts once)',
    registers: [registry],
  });
  const final = new promClient.Counter({
    name: 'orders_final_total',
    help: 'Orders moved into CONFIRMED, REJECTED or CANCELLED, by that status',
    labelNames: ['status'],
    registers: [registry],
  });
  const timeToFinal = new promClient.Histogram({
    name: 'order_time_to_final_seconds',
    help: 'Time from placing an order until it left PENDING (confirmed, rejected or cancelled)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const expired = new promClient.Counter({
    name: 'orders_expired_total',
    help: 'PENDING orders cancelled by the sweeper because inventory did not answer in time',
    registers: [registry],
  });
  for (const status of ['CONFIRMED', 'REJECTED', 'CANCELLED']) final.inc({ status }, 0);
  return {
    orderCreated: () => created.inc(),
    orderExpired: () => expired.inc(),
    orderMoved({ from, to, createdAt, at }) {
      final.inc({ status: to });
      if (from === 'PENDING') {
        timeToFinal.observe(Math.max(0, (at.getTime() - createdAt.getTime()) / 1000));
      }
    },
  };
}
