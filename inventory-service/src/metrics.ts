import { promClient, type MetricsRegistry } from '@shop/service-kit';

export function inventoryMetrics(registry: MetricsRegistry) {
  const reservations = new promClient.Counter({
    name: 'inventory_reservations_total',
    help: 'Orders answered by inventory, by result',
    labelNames: ['result'],
    registers: [registry],
  });
  // Both series exist from the start, so a dashboard's rate() sees the first rejection.
  reservations.inc({ result: 'reserved' }, 0);
  reservations.inc({ result: 'rejected' }, 0);
  const stockOuts = new promClient.Counter({
    name: 'inventory_stockouts_total',
    help: 'Times a reservation took a product down to zero available',
    registers: [registry],
  });
  return { reservations, stockOuts };
}
