import { Router, type Request } from 'express';
import { idempotencyKey, listOrdersQuery, placeOrderBody } from '@shop/contracts';
import type { Pool } from '@shop/postgres';
import { authenticate, NotFoundError, parseInput, principalOf } from '@shop/service-kit';
import type { ProductCatalog } from '../clients/product-catalog';
import { findOrder, listOrders } from '../db/orders';
import { mayAccessOrder } from '../domain/order';
import { mergeOrderLines } from '../domain/order-lines';
import type { OrderMetrics } from '../metrics';
import { cancelOrder } from '../use-cases/cancel-order';
import { placeOrder } from '../use-cases/place-order';

const idempotencyKeyHeader = idempotencyKey.optional();

export interface OrdersRouterDeps {
  pool: Pool;
  catalog: ProductCatalog;
  orderMetrics: OrderMetrics;
  jwtSecret: string;
}

async function orderPage(pool: Pool, req: Request, userId: string | undefined) {
  const query = parseInput(listOrdersQuery, req.query, 'query');
  const { orders, total } = await listOrders(pool, {
    ...(userId === undefined ? {} : { userId }),
    ...(query.status ? { status: query.status } : {}),
    limit: query.limit,
    offset: (query.page - 1) * query.limit,
  });
  return { items: orders, page: query.page, limit: query.limit, total };
}

/** `/orders`: the gateway maps `/api/orders*` here. Every route needs a verified access token. */
export function ordersRouter(deps: OrdersRouterDeps): Router {
  const router = Router();
  // Identity comes only from the verified token; an X-User-Id header from a client means nothing.
  router.use(authenticate({ secret: deps.jwtSecret }));

  router.post('/', async (req, res) => {
    const lines = mergeOrderLines(parseInput(placeOrderBody, req.body, 'body').items);
    const idempotencyKey = parseInput(
      idempotencyKeyHeader,
      req.get('Idempotency-Key'),
      'Idempotency-Key header',
    );
    const { order, created } = await placeOrder(deps, {
      userId: principalOf(req).userId,
      lines,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    if (!created) res.setHeader('Idempotent-Replayed', 'true');
    res.status(created ? 201 : 200).json(order);
  });

  router.get('/', async (req, res) => {
    const principal = principalOf(req);
    res.json(
      await orderPage(deps.pool, req, principal.role === 'admin' ? undefined : principal.userId),
    );
  });

  // 404, like every other "not yours" answer here: a 403 would confirm that the user exists.
  router.get('/user/:userId', async (req, res) => {
    if (!mayAccessOrder(principalOf(req), req.params.userId))
      throw NotFoundError('No such order list');
    res.json(await orderPage(deps.pool, req, req.params.userId));
  });

  router.get('/:id', async (req, res) => {
    const order = await findOrder(deps.pool, req.params.id);
    if (!order || !mayAccessOrder(principalOf(req), order.userId)) {
      throw NotFoundError('No such order');
    }
    res.json(order);
  });

  router.post('/:id/cancel', async (req, res) => {
    res.json(await cancelOrder(deps, principalOf(req), req.params.id));
  });

  return router;
}
