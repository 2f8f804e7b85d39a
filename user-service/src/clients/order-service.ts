import { AppError, UpstreamClient, type Logger } from '@shop/service-kit';
import { z } from 'zod';

const PROFILE_ORDERS_LIMIT = 100;

/** An order as order-service describes it; we pass it through without reshaping it. */
export type Order = Record<string, unknown>;

const orderPage = z.object({ items: z.array(z.record(z.string(), z.unknown())) });

export interface OrderServiceOptions {
  url: string;
  /** The whole wait for one answer: there are no retries, so a profile is never slower than this. */
  timeoutMs: number;
  logger: Logger;
  breaker?: { resetTimeoutMs?: number; volumeThreshold?: number };
}

/**
 * A user's orders from order-service, or `undefined` when it is down, slow or erroring. The profile
 * is still worth answering without them, so failures become a flag rather than an error.
 */
export class OrderServiceClient {
  private readonly upstream: UpstreamClient;

  constructor(private readonly options: OrderServiceOptions) {
    this.upstream = new UpstreamClient({
      name: 'order-service',
      baseURL: options.url,
      timeoutMs: options.timeoutMs,
      // A retry would double the worst-case wait; the circuit breaker covers a longer outage.
      retries: 0,
      breaker: options.breaker ?? {},
    });
  }

  async ordersOf(userId: string, authorization: string | undefined): Promise<Order[] | undefined> {
    try {
      const response = await this.upstream.get<unknown>(
        `/orders/user/${encodeURIComponent(userId)}`,
        {
          // The profile shows the latest orders, up to order-service's page cap, newest first.
          params: { limit: PROFILE_ORDERS_LIMIT },
          headers: authorization ? { Authorization: authorization } : {},
        },
      );
      const page = orderPage.safeParse(response.data);
      if (response.status === 200 && page.success) return page.data.items;
      this.options.logger.warn(
        { status: response.status, userId },
        'order-service gave no usable order list',
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof AppError) || error.kind !== 'unavailable') throw error;
      this.options.logger.warn({ userId, reason: error.message }, 'orders unavailable');
      return undefined;
    }
  }

  shutdown(): void {
    this.upstream.shutdown();
  }
}
