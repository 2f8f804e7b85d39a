import { Router } from 'express';
import { buildOpenApiDocument } from '../openapi/document';
import { renderDocsPage } from '../openapi/page';

export function docsRoutes(): Router {
  const document = buildOpenApiDocument();
  const page = renderDocsPage(document);
  const router = Router();
  router.get('/api/docs/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/api/docs', (_req, res) => {
    res.type('html').send(page);
  });
  return router;
}
