import type { z } from 'zod';
import type { ledgerEntry } from '@shop/contracts';
import type { Queryable } from '@shop/postgres';
import type { StockLevel } from '../domain/reservation';

export type LedgerEntry = z.output<typeof ledgerEntry>;
export type LedgerReason = LedgerEntry['reason'];

export interface Stock {
  productId: string;
  available: number;
  reserved: number;
  deleted: boolean;
}

interface StockRow {
  product_id: string;
  available: number;
  reserved: number;
  deleted_at: Date | null;
}

const STOCK_COLUMNS = 'product_id, available, reserved, deleted_at';

const toStock = (row: StockRow): Stock => ({
  productId: row.product_id,
  available: row.available,
  reserved: row.reserved,
  deleted: row.deleted_at !== null,
});

export interface Movement {
  productId: string;
  deltaAvailable: number;
  deltaReserved: number;
  reason: LedgerReason;
  orderId?: string;
  actorId?: string;
}

export async function recordMovement(tx: Queryable, movement: Movement): Promise<void> {
  await recordMovements(tx, [movement]);
}

/** Ledger rows in one statement, in the given order (ids follow it). */
export async function recordMovements(tx: Queryable, movements: readonly Movement[]) {
  if (movements.length === 0) return;
  await tx.query(
    `INSERT INTO stock_ledger (product_id, delta_available, delta_reserved, reason, order_id, actor_id)
     SELECT product_id, delta_available, delta_reserved, reason, order_id, actor_id
       FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[])
            WITH ORDINALITY
            AS m(product_id, delta_available, delta_reserved, reason, order_id, actor_id, position)
      ORDER BY position`,
    [
      movements.map((movement) => movement.productId),
      movements.map((movement) => movement.deltaAvailable),
      movements.map((movement) => movement.deltaReserved),
      movements.map((movement) => movement.reason),
      movements.map((movement) => movement.orderId ?? null),
      movements.map((movement) => movement.actorId ?? null),
    ],
  );
}

/**
 * Locks the stock rows of these products, always in product id order ("C" collation, the same
 * order `mergeOrderLines` sorts in): two transactions locking overlapping sets of products take
 * the locks in the same order, so they queue behind each other instead of deadlocking.
 */
export async function lockStock(tx: Queryable, productIds: readonly string[]) {
  const { rows } = await tx.query<StockRow>(
    `SELECT ${STOCK_COLUMNS} FROM stock
     WHERE product_id = ANY($1::text[])
     ORDER BY product_id COLLATE "C"
     FOR UPDATE`,
    [productIds],
  );
  return new Map(rows.map((row) => [row.product_id, toStock(row)]));
}

export function stockLevels(locked: ReadonlyMap<string, Stock>): Map<string, StockLevel> {
  return new Map(
    [...locked].map(([productId, stock]) => [
      productId,
      { available: stock.available, sellable: !stock.deleted },
    ]),
  );
}

/** Moves units between available and reserved (negative to give them back); returns the row. */
export async function moveToReserved(
  tx: Queryable,
  productId: string,
  quantity: number,
): Promise<Stock> {
  const { rows } = await tx.query<StockRow>(
    `UPDATE stock SET available = available - $2, reserved = reserved + $2, updated_at = now()
     WHERE product_id = $1 RETURNING ${STOCK_COLUMNS}`,
    [productId, quantity],
  );
  return toStock(rows[0]!);
}

/**
 * `moveToReserved` for many products in one statement: each entry moves that many units from
 * available to reserved. The rows must be locked already (`lockStock`), one entry per product.
 */
export async function moveManyToReserved(
  tx: Queryable,
  moves: ReadonlyMap<string, number>,
): Promise<void> {
  if (moves.size === 0) return;
  await tx.query(
    `UPDATE stock SET available = stock.available - m.quantity,
                      reserved = stock.reserved + m.quantity, updated_at = now()
       FROM unnest($1::text[], $2::int[]) AS m(product_id, quantity)
      WHERE stock.product_id = m.product_id`,
    [[...moves.keys()], [...moves.values()]],
  );
}

/** The product is now known: its row starts with the catalog's initial stock, once. */
export async function createStock(
  tx: Queryable,
  productId: string,
  initialStock: number,
): Promise<boolean> {
  const inserted = await tx.query(
    `INSERT INTO stock (product_id, available, reserved) VALUES ($1, $2, 0)
     ON CONFLICT (product_id) DO NOTHING`,
    [productId, initialStock],
  );
  if (inserted.rowCount === 0) return false;
  await recordMovement(tx, {
    productId,
    deltaAvailable: initialStock,
    deltaReserved: 0,
    reason: 'initial',
  });
  return true;
}

/**
 * The product left the catalog: what is still available is written off (so nothing reads as
 * sellable) and the row stays for the audit trail. Units already reserved stay reserved until
 * their orders are cancelled. A delete that overtakes the create still leaves a deleted row, so
 * the late create changes nothing.
 */
export async function markDeleted(tx: Queryable, productId: string): Promise<boolean> {
  await tx.query(
    `INSERT INTO stock (product_id, available, reserved) VALUES ($1, 0, 0)
     ON CONFLICT (product_id) DO NOTHING`,
    [productId],
  );
  const stock = (await lockStock(tx, [productId])).get(productId)!;
  if (stock.deleted) return false;
  await tx.query(
    `UPDATE stock SET available = 0, deleted_at = now(), updated_at = now() WHERE product_id = $1`,
    [productId],
  );
  await recordMovement(tx, {
    productId,
    deltaAvailable: -stock.available,
    deltaReserved: 0,
    reason: 'product_deleted',
  });
  return true;
}

/** Writes off units that came back (a released reservation) to a product no longer sold. */
export async function writeOffReturned(
  tx: Queryable,
  productId: string,
  quantity: number,
): Promise<void> {
  await tx.query(
    `UPDATE stock SET available = available - $2, updated_at = now() WHERE product_id = $1`,
    [productId, quantity],
  );
  await recordMovement(tx, {
    productId,
    deltaAvailable: -quantity,
    deltaReserved: 0,
    reason: 'product_deleted',
  });
}

export type RestockResult = { restocked: Stock } | { deleted: true } | { notYetKnown: true };

/**
 * Sets what is available to the counted amount and records the difference against the admin who
 * did it. Reserved units are not touched: they belong to orders. Only product events create a
 * stock row, so a restock never brings into being stock for a product the catalog does not have.
 */
export async function restock(
  tx: Queryable,
  productId: string,
  available: number,
  actorId: string,
): Promise<RestockResult> {
  const before = (await lockStock(tx, [productId])).get(productId);
  if (!before) return { notYetKnown: true };
  if (before.deleted) return { deleted: true };
  const { rows } = await tx.query<StockRow>(
    `UPDATE stock SET available = $2, updated_at = now() WHERE product_id = $1
     RETURNING ${STOCK_COLUMNS}`,
    [productId, available],
  );
  await recordMovement(tx, {
    productId,
    deltaAvailable: available - before.available,
    deltaReserved: 0,
    reason: 'restock',
    actorId,
  });
  return { restocked: toStock(rows[0]!) };
}

export async function findStock(db: Queryable, productId: string): Promise<Stock | undefined> {
  const { rows } = await db.query<StockRow>(
    `SELECT ${STOCK_COLUMNS} FROM stock WHERE product_id = $1`,
    [productId],
  );
  return rows[0] && toStock(rows[0]);
}

export interface Page {
  page: number;
  limit: number;
}

export async function listStock(db: Queryable, { page, limit }: Page) {
  const [items, count] = await Promise.all([
    db.query<StockRow>(
      `SELECT ${STOCK_COLUMNS} FROM stock ORDER BY product_id COLLATE "C" LIMIT $1 OFFSET $2`,
      [limit, (page - 1) * limit],
    ),
    db.query<{ total: number }>('SELECT count(*)::int AS total FROM stock'),
  ]);
  return { items: items.rows.map(toStock), page, limit, total: count.rows[0]!.total };
}

interface LedgerRow {
  id: number;
  product_id: string;
  delta_available: number;
  delta_reserved: number;
  reason: LedgerReason;
  order_id: string | null;
  actor_id: string | null;
  at: Date;
}

/** Oldest first, so the ledger reads like the history it is. */
export async function listLedger(db: Queryable, productId: string, { page, limit }: Page) {
  const [items, count] = await Promise.all([
    db.query<LedgerRow>(
      `SELECT id, product_id, delta_available, delta_reserved, reason, order_id, actor_id, at
       FROM stock_ledger WHERE product_id = $1 ORDER BY id LIMIT $2 OFFSET $3`,
      [productId, limit, (page - 1) * limit],
    ),
    db.query<{ total: number }>(
      'SELECT count(*)::int AS total FROM stock_ledger WHERE product_id = $1',
      [productId],
    ),
  ]);
  const entries: LedgerEntry[] = items.rows.map((row) => ({
    id: row.id,
    productId: row.product_id,
    deltaAvailable: row.delta_available,
    deltaReserved: row.delta_reserved,
    reason: row.reason,
    orderId: row.order_id,
    actorId: row.actor_id,
    at: row.at.toISOString(),
  }));
  return { items: entries, page, limit, total: count.rows[0]!.total };
}
