import type { Queryable } from '@shop/postgres';
import { promClient, type MetricsRegistry } from '@shop/service-kit';
import type { OrderStatus } from './domain/order-status';

export interface OrderMetrics {
  orderCreated(): void;
  /** A committed move of one order from `from` to `to`. */
  orderMoved(move: { from: OrderStatus; to: OrderStatus; createdAt: Date; at: Date }): void;
  /** A PENDING order cancelled because inventory never answered (counted in final too). */
  orderExpired(): void;
}

/**
 * The order-service metrics, on the instance's own registry (never prom-client's global one).
 * With `orders` (the service's database), the age of the oldest PENDING order is read at scrape.
 */
export function createOrderMetrics(registry: MetricsRegistry, orders?: Queryable): OrderMetrics {
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
  // The saga's latency: accepted (201) to the status it left PENDING for, by that status.
  const timeToFinal = new promClient.Histogram({
    name: 'order_time_to_final_seconds',
    help: 'Time from placing an order until it left PENDING, by the status it moved to (CONFIRMED, REJECTED or CANCELLED)',
    labelNames: ['status'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });
  if (orders) oldestPendingGauge(registry, orders);
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
        timeToFinal.observe(
          { status: to },
          Math.max(0, (at.getTime() - createdAt.getTime()) / 1000),
        );
      }
    },
  };
}

/** How long the oldest PENDING order has waited: an alert for a saga that stopped moving. */
function oldestPendingGauge(registry: MetricsRegistry, orders: Queryable) {
  let last = 0;
  new promClient.Gauge({
    name: 'orders_pending_oldest_age_seconds',
    help: 'Age of the oldest order still PENDING (0 when none is)',
    registers: [registry],
    async collect() {
      // The partial index on PENDING orders' created_at makes this one index probe; an
      // unreachable database keeps the last value rather than failing the scrape.
      last = await orders
        .query<{ age: number | null }>(
          `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age
             FROM orders WHERE status = 'PENDING'`,
        )
        .then((result) => Math.max(0, result.rows[0]?.age ?? 0))
        .catch(() => last);
      this.set(last);
    },
  });
}
