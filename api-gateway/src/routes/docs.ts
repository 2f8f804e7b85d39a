import { Router } from 'express';
import { buildOpenApiDocument } from '../openapi/document';
import {
  DOCS_ASSETS_PATH,
  DOCS_CONTENT_SECURITY_POLICY,
  DOCS_INIT_SCRIPT,
  renderDocsPage,
  SWAGGER_UI_FILES,
  swaggerUiFile,
} from '../openapi/page';

const DAY_SECONDS = 86_400;

export function docsRoutes(): Router {
  const document = buildOpenApiDocument();
  const page = renderDocsPage(document.info.title);
  const router = Router();
  router.get('/api/docs/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/api/docs', (_req, res) => {
    res.setHeader('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY);
    res.type('html').send(page);
  });
  router.get('/api/docs/init.js', (_req, res) => {
    res.type('text/javascript').send(DOCS_INIT_SCRIPT);
  });
  for (const [name, contentType] of Object.entries(SWAGGER_UI_FILES)) {
    router.get(`${DOCS_ASSETS_PATH}/${name}`, (_req, res) => {
      res.sendFile(swaggerUiFile(name as keyof typeof SWAGGER_UI_FILES), {
        headers: { 'Content-Type': contentType },
        maxAge: DAY_SECONDS * 1000,
      });
    });
  }
  return router;
}
