import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestResponse } from '@shop/testkit';
import type { Api } from './support';

const RETRIED = new Set([502, 503, 504]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a careful client does while replicas die under it: a 502, 503 or 504 is tried again after
 * a short wait, with the same Idempotency-Key, so a request that did land is answered by its replay.
 */
export async function untilAnswered(send: () => Promise<TestResponse>): Promise<TestResponse> {
  for (let attempt = 1; ; attempt++) {
    const response = await send();
    // A 500 is never "try again": it is a bug, and the caller's assertion shows it.
    if (!RETRIED.has(response.status) || attempt === 15) return response;
    await sleep(150 * attempt);
  }
}

export interface Customer {
  token: string;
}

export interface PlacedOrder {
  id: string;
  token: string;
  idempotencyKey: string;
  /** The customer cancelled it right after placing it. */
  cancelled: boolean;
}

export interface BurstPlan {
  count: number;
  customers: Customer[];
  productIds: string[];
  /** Every n-th order is cancelled by its customer at once (often before inventory answered). */
  cancelEvery: number;
  /** Orders placed at the same time. */
  concurrency: number;
  /** Runs once half the orders are placed, while the rest go on. */
  midway: () => Promise<void>;
}

/** Places a burst of orders with cancels mixed in; every order is answered 201 (or replayed). */
export async function burstOfOrders(api: Api, plan: BurstPlan): Promise<PlacedOrder[]> {
  const placed: PlacedOrder[] = [];
  let next = 0;
  let midway: Promise<void> | undefined;
  const place = async (i: number) => {
    const customer = plan.customers[i % plan.customers.length]!;
    const items = [
      { productId: plan.productIds[i % plan.productIds.length]!, quantity: 1 + (i % 3) },
      ...(i % 4 === 0
        ? [{ productId: plan.productIds[(i + 1) % plan.productIds.length]!, quantity: 1 }]
        : []),
    ];
    const idempotencyKey = randomUUID();
    const answer = await untilAnswered(() =>
      api.post(
        '/orders',
        { items },
        { token: customer.token, headers: { 'idempotency-key': idempotencyKey } },
      ),
    );
    assert.ok(answer.status === 201 || answer.status === 200, `order ${i}: ${answer.text}`);
    const order: PlacedOrder = {
      id: answer.body.id,
      token: customer.token,
      idempotencyKey,
      cancelled: i % plan.cancelEvery === 0,
    };
    if (order.cancelled) {
      const cancel = await untilAnswered(() =>
        api.post(`/orders/${order.id}/cancel`, undefined, { token: customer.token }),
      );
      // 409: it was already final (REJECTED), or an earlier try of this cancel did land.
      assert.ok(cancel.status === 200 || cancel.status === 409, `cancel ${i}: ${cancel.text}`);
    }
    placed.push(order);
  };
  const worker = async () => {
    while (next < plan.count) {
      const i = next++;
      if (i === Math.floor(plan.count / 2)) midway = plan.midway();
      await place(i);
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  await midway;
  return placed;
}
