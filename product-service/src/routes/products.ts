import { catalogQuery, newProductBody, productChangesBody, productParams } from '@shop/contracts';
import { authenticate, parseInput, requireRole } from '@shop/service-kit';
import { Router, type Request, type Response } from 'express';
import type { Catalog } from '../use-cases/catalog';

type ProductRequest = Request<{ id: string }>;

// One spelling per id (24 lower-case hex): any other is a 400 here, as in order- and inventory-service.
const productIdOf = (req: Request) => parseInput(productParams, req.params, 'path').id;

export function productRoutes(deps: { catalog: Catalog; jwtSecret: string }): Router {
  const { catalog } = deps;
  const router = Router();
  const signedIn = authenticate({ secret: deps.jwtSecret });
  const admin = requireRole('admin');

  router.get('/products', async (req, res) => {
    const query = parseInput(catalogQuery, req.query, 'query');
    res.json(await catalog.listProducts(query));
  });

  router.get('/products/:id', async (req, res) => {
    res.json(await catalog.findProduct(productIdOf(req)));
  });

  router.post('/products', signedIn, admin, async (req, res) => {
    const input = parseInput(newProductBody, req.body, 'body');
    const product = await catalog.createProduct(input);
    res.status(201).json(product);
  });

  router.patch('/products/:id', signedIn, admin, async (req: ProductRequest, res: Response) => {
    const changes = parseInput(productChangesBody, req.body, 'body');
    res.json(await catalog.updateProduct(productIdOf(req), changes));
  });

  router.delete('/products/:id', signedIn, admin, async (req: ProductRequest, res: Response) => {
    await catalog.deleteProduct(productIdOf(req));
    res.status(204).end();
  });

  return router;
}
