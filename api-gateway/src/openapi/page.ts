import path from 'node:path';

/** Where the docs page's assets are served from; the page links nothing outside the gateway. */
export const DOCS_ASSETS_PATH = '/api/docs/assets';

/** Swagger UI's prebuilt files, from the swagger-ui-dist package, by the name the page uses. */
export const SWAGGER_UI_FILES = {
  'swagger-ui.css': 'text/css',
  'swagger-ui-bundle.js': 'text/javascript',
  'favicon-32x32.png': 'image/png',
} as const;

export function swaggerUiFile(name: keyof typeof SWAGGER_UI_FILES): string {
  return path.join(path.dirname(require.resolve('swagger-ui-dist/package.json')), name);
}

// An external script rather than an inline one, so the page's CSP needs no 'unsafe-inline' for
// scripts. The validator badge is off: it would send the document to validator.swagger.io.
export const DOCS_INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/docs/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    defaultModelsExpandDepth: 1,
    defaultModelRendering: 'model',
    displayOperationId: true,
    showExtensions: false,
  });
});
`;

/**
 * Swagger UI allows inline styles only (it sets style attributes) and images as data: URLs; every
 * script, stylesheet and fetch is same-origin, so the page works with no network beyond the gateway.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderDocsPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-32x32.png">
</head>
<body>
<noscript>This page needs JavaScript; the document itself is <a href="/api/docs/openapi.json">openapi.json</a>.</noscript>
<div id="swagger-ui"></div>
<script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>`;
}
