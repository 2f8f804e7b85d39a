import type { OrderStatus } from '@shop/contracts';

// The statuses are part of the public API; the moves between them are this service's rule.
export type { OrderStatus };

/**
 * Every move an order may make (docs/architecture.md, "Public API"). Anything not listed is illegal, whoever asks:
 * a customer through the API or inventory-service through an event.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['CONFIRMED', 'REJECTED', 'CANCELLED'],
  CONFIRMED: ['CANCELLED'],
  REJECTED: [],
  CANCELLED: [],
};

/** The one check of the state machine, used by routes and event handlers alike. */
export function canMoveOrder(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}
