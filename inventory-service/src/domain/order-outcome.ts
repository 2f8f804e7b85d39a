/** What inventory remembers about an order, whichever event (and event id) told it. */
export type OrderOutcome = 'reserved' | 'rejected' | 'cancelled_before_reserve' | 'released';

export type OrderCreatedStep =
  /** First time this order is seen: try to reserve every line. */
  | 'reserve'
  /** The cancel overtook the order: hold nothing, but still answer so no one waits. */
  | 'answer-cancelled'
  /** Already answered (a re-sent ORDER_CREATED): do nothing. */
  | 'ignore';

export type OrderCancelledStep =
  /** The order is not known yet: remember the cancel so its ORDER_CREATED reserves nothing. */
  | 'remember-cancel'
  /** Stock is held for it: give it back. */
  | 'release'
  /** Nothing is held (rejected, released, or a second cancel): do nothing. */
  | 'ignore';

const onCreated: Record<OrderOutcome, OrderCreatedStep> = {
  reserved: 'ignore',
  rejected: 'ignore',
  released: 'ignore',
  cancelled_before_reserve: 'answer-cancelled',
};

const onCancelled: Record<OrderOutcome, OrderCancelledStep> = {
  reserved: 'release',
  rejected: 'ignore',
  released: 'ignore',
  cancelled_before_reserve: 'ignore',
};

export function stepOnOrderCreated(current: OrderOutcome | undefined): OrderCreatedStep {
  return current === undefined ? 'reserve' : onCreated[current];
}

export function stepOnOrderCancelled(current: OrderOutcome | undefined): OrderCancelledStep {
  return current === undefined ? 'remember-cancel' : onCancelled[current];
}
