import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ORDER_STATUSES } from '@shop/contracts';
import { canMoveOrder, type OrderStatus } from '../src/domain/order-status';

const legal: [OrderStatus, OrderStatus][] = [
  ['PENDING', 'CONFIRMED'],
  ['PENDING', 'REJECTED'],
  ['PENDING', 'CANCELLED'],
  ['CONFIRMED', 'CANCELLED'],
];

describe('order state machine', () => {
  test('when a move is one of the four in docs/architecture.md, then it is allowed', () => {
    for (const [from, to] of legal) assert.equal(canMoveOrder(from, to), true, `${from} -> ${to}`);
  });

  test('when a move is any other pair of statuses, then it is refused', () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        if (legal.some(([a, b]) => a === from && b === to)) continue;
        assert.equal(canMoveOrder(from, to), false, `${from} -> ${to}`);
      }
    }
  });
});
