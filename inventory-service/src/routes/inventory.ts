import { Router } from 'express';
import { restockBody, stockPageQuery, stockParams } from '@shop/contracts';
import { withTransaction, type Pool } from '@shop/postgres';
import {
  authenticate,
  ConflictError,
  NotFoundError,
  parseInput,
  principalOf,
  requireRole,
} from '@shop/service-kit';
import { findStock, listLedger, listStock, restock } from '../db/stock';

export function inventoryRoutes(deps: { pool: Pool; jwtSecret: string }) {
  const router = Router();
  router.use(authenticate({ secret: deps.jwtSecret }));

  router.get('/', requireRole('admin'), async (req, res) => {
    const page = parseInput(stockPageQuery, req.query, 'query');
    res.json(await listStock(deps.pool, page));
  });

  router.get('/:productId', async (req, res) => {
    const { productId } = parseInput(stockParams, req.params, 'path');
    const stock = await findStock(deps.pool, productId);
    if (!stock) throw NotFoundError(`No stock is kept for product ${productId}`);
    res.json(stock);
  });

  router.put('/:productId', requireRole('admin'), async (req, res) => {
    const { productId } = parseInput(stockParams, req.params, 'path');
    const { available } = parseInput(restockBody, req.body, 'body');
    const { userId } = principalOf(req);
    const result = await withTransaction(deps.pool, (tx) =>
      restock(tx, productId, available, userId),
    );
    if ('notYetKnown' in result) {
      throw NotFoundError(
        `Inventory has no stock record for product ${productId} yet; it is created when the product is`,
      );
    }
    if ('deleted' in result) throw ConflictError(`Product ${productId} is no longer sold`);
    res.json(result.restocked);
  });

  router.get('/:productId/ledger', requireRole('admin'), async (req, res) => {
    const { productId } = parseInput(stockParams, req.params, 'path');
    const page = parseInput(stockPageQuery, req.query, 'query');
    if (!(await findStock(deps.pool, productId))) {
      throw NotFoundError(`No stock is kept for product ${productId}`);
    }
    res.json(await listLedger(deps.pool, productId, page));
  });

  return router;
}
