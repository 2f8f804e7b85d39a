import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decideReservation,
  mergeOrderLines,
  REJECTED_FOR_SHORTAGE,
  StockNotYetKnown,
  type StockLevel,
} from '../src/domain/reservation';
import { stepOnOrderCancelled, stepOnOrderCreated } from '../src/domain/order-outcome';

const sellable = (available: number): StockLevel => ({ available, sellable: true });
const stockOf = (levels: Record<string, StockLevel>) => new Map(Object.entries(levels));
/** An order's lines, one a product, as `{ productId: quantity }` in line order. */
const linesOf = (quantities: Record<string, number>) =>
  Object.entries(quantities).map(([productId, quantity]) => ({ productId, quantity }));

describe('reservation decision', () => {
  test('when every line fits, then the order is reserved line by line in product id order', () => {
    const decision = decideReservation(
      linesOf({ p2: 2, p1: 5 }),
      stockOf({ p1: sellable(5), p2: sellable(10) }),
    );
    assert.deepEqual(decision, {
      outcome: 'reserved',
      items: [
        { productId: 'p1', quantity: 5 },
        { productId: 'p2', quantity: 2 },
      ],
    });
  });

  test('when one line is short, then the order is rejected with only that shortage', () => {
    const decision = decideReservation(
      linesOf({ p1: 1, p2: 4 }),
      stockOf({ p1: sellable(1), p2: sellable(3) }),
    );
    assert.deepEqual(decision, {
      outcome: 'rejected',
      reason: REJECTED_FOR_SHORTAGE,
      shortages: [{ productId: 'p2', requested: 4, available: 3 }],
    });
  });

  test('when a product is no longer sold, then it is a shortage with nothing available', () => {
    const decision = decideReservation(
      linesOf({ gone: 1, kept: 2 }),
      stockOf({ gone: { available: 7, sellable: false }, kept: sellable(2) }),
    );
    assert.deepEqual(decision, {
      outcome: 'rejected',
      reason: REJECTED_FOR_SHORTAGE,
      shortages: [{ productId: 'gone', requested: 1, available: 0 }],
    });
  });

  test('when a product has no stock yet, then nothing is decided and every such product is named', () => {
    assert.throws(
      () =>
        decideReservation(
          linesOf({ 'unheard-b': 1, gone: 1, 'unheard-a': 2 }),
          new Map([['gone', { available: 0, sellable: false }]]),
        ),
      (error: unknown) => {
        assert.ok(error instanceof StockNotYetKnown);
        assert.deepEqual(error.productIds, ['unheard-a', 'unheard-b']);
        return true;
      },
      'a missing stock row is "not heard of yet", not a shortage',
    );
  });

  test('when an order names a product twice, then the lines are added up before checking', () => {
    const lines = [
      { productId: 'p1', quantity: 2 },
      { productId: 'p1', quantity: 2 },
    ];
    assert.deepEqual(mergeOrderLines(lines), [{ productId: 'p1', quantity: 4 }]);
    const decision = decideReservation(lines, new Map([['p1', sellable(3)]]));
    assert.deepEqual(decision.outcome === 'rejected' && decision.shortages, [
      { productId: 'p1', requested: 4, available: 3 },
    ]);
  });

  test('when lines are merged, then they sort by code unit, the order stock rows are locked in', () => {
    const merged = mergeOrderLines([
      { productId: 'b', quantity: 1 },
      { productId: 'B', quantity: 1 },
      { productId: 'a', quantity: 1 },
    ]);
    assert.deepEqual(
      merged.map((line) => line.productId),
      ['B', 'a', 'b'],
    );
  });
});

describe('order outcome steps', () => {
  test('when ORDER_CREATED arrives, then only an unseen order is reserved and a pre-empted one is answered', () => {
    assert.equal(stepOnOrderCreated(undefined), 'reserve');
    assert.equal(stepOnOrderCreated('cancelled_before_reserve'), 'answer-cancelled');
    for (const answered of ['reserved', 'rejected', 'released'] as const) {
      assert.equal(stepOnOrderCreated(answered), 'ignore');
    }
  });

  test('when ORDER_CANCELLED arrives, then only held stock is released and an early cancel is remembered', () => {
    assert.equal(stepOnOrderCancelled(undefined), 'remember-cancel');
    assert.equal(stepOnOrderCancelled('reserved'), 'release');
    for (const settled of ['rejected', 'released', 'cancelled_before_reserve'] as const) {
      assert.equal(stepOnOrderCancelled(settled), 'ignore');
    }
  });
});
