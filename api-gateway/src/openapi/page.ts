import { API_OPERATIONS, type ApiOperation, type OpenApiDocument } from './document';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function section(operation: ApiOperation, document: OpenApiDocument) {
  const described = document.paths[operation.path]?.[operation.method] as {
    parameters?: unknown[];
    requestBody?: { content: { 'application/json': { schema: unknown } } };
  };
  const body = described.requestBody?.content['application/json'].schema;
  const responses = Object.entries(operation.responses)
    .map(
      ([status, response]) => `<li><code>${status}</code> ${escapeHtml(response.description)}</li>`,
    )
    .join('');
  return `<section>
  <h3><span class="method ${operation.method}">${operation.method.toUpperCase()}</span> <code>${escapeHtml(operation.path)}</code></h3>
  <p>${escapeHtml(operation.summary)} <span class="who">${escapeHtml(operation.audience)}</span></p>
  ${described.parameters ? `<details><summary>Parameters</summary><pre>${escapeHtml(JSON.stringify(described.parameters, null, 2))}</pre></details>` : ''}
  ${body ? `<details><summary>Request body</summary><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre></details>` : ''}
  <ul>${responses}</ul>
</section>`;
}

/** A self-contained page: no script, no font, nothing fetched from anywhere else. */
export function renderDocsPage(document: OpenApiDocument): string {
  const sections = API_OPERATIONS.map((operation) => section(operation, document)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(document.info.title)}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  section { border-top: 1px solid #ddd; padding: .5rem 0; }
  h3 { margin: .3rem 0; font-size: 1rem; }
  .method { display: inline-block; min-width: 4rem; font-weight: bold; }
  .get { color: #1a7f37; } .post { color: #0969da; } .put, .patch { color: #9a6700; } .delete { color: #cf222e; }
  .who { color: #666; font-size: .85em; margin-left: .5rem; }
  pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; font-size: 13px; }
</style>
</head>
<body>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
<p>${escapeHtml(document.info.description)}</p>
<p>Machine-readable: <a href="/api/docs/openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
${sections}
</body>
</html>`;
}
