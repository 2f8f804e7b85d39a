import { migrateMessaging } from '@shop/messaging';
import { createPool, migrate, type Pool } from '@shop/postgres';
import { createLogger, type LogLevel } from '@shop/service-kit';
import { createTestDatabase } from '@shop/testkit';
import { MIGRATION_LOCK_KEY, migrations } from '../src/db/migrations';

export const testLogger = () =>
  createLogger({
    service: 'inventory-service',
    level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'silent',
  });

export interface InventoryDatabase {
  pool: Pool;
  close(): Promise<void>;
}

/** A fresh `inventory` database for one suite, migrated like main.ts does. */
export async function startInventoryDatabase(): Promise<InventoryDatabase> {
  const database = await createTestDatabase('inventory');
  const pool = createPool(database.url, { max: 20 });
  await migrate(pool, migrations, { lockKey: MIGRATION_LOCK_KEY });
  await migrateMessaging(pool);
  return {
    pool,
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}

export async function stockOf(pool: Pool, productId: string) {
  const { rows } = await pool.query<{ available: number; reserved: number }>(
    'SELECT available, reserved FROM stock WHERE product_id = $1',
    [productId],
  );
  return rows[0];
}

export async function outcomeOf(pool: Pool, orderId: string) {
  const { rows } = await pool.query<{ outcome: string; reason: string | null }>(
    'SELECT outcome, reason FROM order_outcomes WHERE order_id = $1',
    [orderId],
  );
  return rows[0];
}

let orderNumber = 0;

/** An ORDER_CREATED payload for the given lines (prices do not matter to inventory). */
export function orderCreated(lines: { productId: string; quantity: number }[], orderId?: string) {
  orderNumber += 1;
  return {
    orderId: orderId ?? `order-${process.pid}-${orderNumber}`,
    userId: 'user-1',
    items: lines.map((line) => ({ ...line, unitPrice: 100 })),
    total: lines.reduce((sum, line) => sum + line.quantity * 100, 0),
  };
}
