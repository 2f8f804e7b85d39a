import { shopEvents, type ShopEventData, type ShopEvents } from '@shop/contracts';
import { enqueueEvents, type OutgoingEvent } from '@shop/messaging';
import type { Queryable } from '@shop/postgres';
import {
  decideReservation,
  REJECTED_FOR_CANCEL,
  type ReservationDecision,
  type StockLevel,
} from '../domain/reservation';
import { stepOnOrderCreated, type OrderOutcome } from '../domain/order-outcome';
import {
  findOrderOutcomes,
  insertReservations,
  lockOrders,
  saveOrderOutcomes,
  type OrderOutcomeRow,
  type ReservationRow,
} from '../db/orders';
import {
  lockStock,
  moveManyToReserved,
  recordMovements,
  stockLevels,
  type Movement,
} from '../db/stock';

export interface OrderToReserve {
  order: ShopEventData<'ORDER_CREATED'>;
  correlationId?: string;
}

export interface ReservationResult {
  orderId: string;
  /** `ignored` when the order had already been answered (a re-sent ORDER_CREATED). */
  result: 'reserved' | 'rejected' | 'ignored';
  /** Products this reservation took down to zero available. */
  stockOuts: string[];
}

/**
 * ORDER_CREATED, for a batch of orders in one transaction: reserve every line of an order or
 * none, and answer each through the outbox. The batch's orders are locked (advisory, in key
 * order), then the stock rows of every product they name (SELECT ... FOR UPDATE in product id
 * order), then decided one after the other in memory against the locked levels, each seeing
 * what the ones before it took. The writes are one multi-row statement each, so a batch costs
 * the same dozen round trips as a single order.
 *
 * Why lock and decide in memory rather than `UPDATE ... WHERE available >= $q` line by line: the
 * all-or-nothing decision and the shortage report need every line's stock at once, and a short
 * order then never writes anything it would have to undo. Holding the row locks until commit is
 * what makes overselling impossible; taking orders first, then stock rows, each in one global
 * order, is what makes deadlock impossible, also against another replica's batch.
 *
 * A line whose product has no stock row yet throws `StockNotYetKnown` before anything is written;
 * the consumer rolls the batch back and handles its events one by one, so only that order is
 * retried.
 */
export async function reserveOrders(
  tx: Queryable,
  batch: readonly OrderToReserve[],
): Promise<ReservationResult[]> {
  const orderIds = batch.map(({ order }) => order.orderId);
  await lockOrders(tx, orderIds);
  const outcomes: Map<string, OrderOutcome> = await findOrderOutcomes(tx, orderIds);
  const productIds = new Set(batch.flatMap(({ order }) => order.items.map((i) => i.productId)));
  const levels = stockLevels(await lockStock(tx, [...productIds]));

  const writes = new BatchWrites();
  const results = batch.map(({ order, correlationId }) => {
    const step = stepOnOrderCreated(outcomes.get(order.orderId));
    if (step === 'ignore')
      return { orderId: order.orderId, result: 'ignored' as const, stockOuts: [] };
    // The cancel overtook the order: nothing is held, and the answer lets the order side
    // settle whatever state it is in (order-service keeps a CANCELLED order CANCELLED).
    const decision: ReservationDecision =
      step === 'answer-cancelled'
        ? { outcome: 'rejected', reason: REJECTED_FOR_CANCEL, shortages: [] }
        : decideReservation(order.items, levels);
    outcomes.set(order.orderId, decision.outcome);
    const stockOuts = decision.outcome === 'reserved' ? takeFrom(levels, decision.items) : [];
    writes.add(order.orderId, decision, correlationId);
    return { orderId: order.orderId, result: decision.outcome, stockOuts };
  });
  await writes.flush(tx);
  return results;
}

/** Units leave the in-memory levels as they are reserved; returns the products now at zero. */
function takeFrom(
  levels: Map<string, StockLevel>,
  items: ReadonlyArray<{ productId: string; quantity: number }>,
): string[] {
  const stockOuts: string[] = [];
  for (const item of items) {
    const level = levels.get(item.productId)!;
    level.available -= item.quantity;
    if (level.available === 0) stockOuts.push(item.productId);
  }
  return stockOuts;
}

/** What a batch of reservation decisions writes, gathered so each table gets one statement. */
class BatchWrites {
  private readonly moves = new Map<string, number>();
  private readonly reservations: ReservationRow[] = [];
  private readonly movements: Movement[] = [];
  private readonly outcomes = new Map<string, OrderOutcomeRow>();
  private readonly answers: OutgoingEvent<ShopEvents>[] = [];

  add(orderId: string, decision: ReservationDecision, correlationId: string | undefined) {
    const correlation = correlationId ? { correlationId } : {};
    if (decision.outcome === 'reserved') {
      for (const line of decision.items) {
        this.moves.set(line.productId, (this.moves.get(line.productId) ?? 0) + line.quantity);
        this.reservations.push({ orderId, ...line });
        this.movements.push({
          productId: line.productId,
          deltaAvailable: -line.quantity,
          deltaReserved: line.quantity,
          reason: 'reserve',
          orderId,
        });
      }
      this.outcomes.set(orderId, { orderId, outcome: 'reserved' });
      this.answers.push({
        type: 'INVENTORY_RESERVED',
        data: { orderId, items: decision.items },
        ...correlation,
      });
    } else {
      this.outcomes.set(orderId, { orderId, outcome: 'rejected', reason: decision.reason });
      this.answers.push({
        type: 'INVENTORY_REJECTED',
        data: { orderId, reason: decision.reason, shortages: decision.shortages },
        ...correlation,
      });
    }
  }

  async flush(tx: Queryable) {
    await moveManyToReserved(tx, this.moves);
    await insertReservations(tx, this.reservations);
    await recordMovements(tx, this.movements);
    await saveOrderOutcomes(tx, [...this.outcomes.values()]);
    await enqueueEvents(tx, shopEvents, this.answers);
  }
}

/** One order: `reserveOrders` with a batch of one. */
export async function reserveOrder(
  tx: Queryable,
  order: ShopEventData<'ORDER_CREATED'>,
  correlation: { correlationId?: string } = {},
): Promise<ReservationResult> {
  const [result] = await reserveOrders(tx, [{ order, ...correlation }]);
  return result!;
}
