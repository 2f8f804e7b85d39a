import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.1 document that checking an answer needs. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown>; headers?: Record<string, unknown> };
}

export interface OpenApiOperation {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<
    string,
    { content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> }
  >;
}

export interface Exchange {
  method: string;
  /** As sent: `/api/orders/abc?limit=5`. */
  url: string;
  status: number;
  headers: Headers;
  text: string;
}

export interface MatchedOperation {
  template: string;
  method: string;
  operation: OpenApiOperation;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Undocumented fields are drift too: an object schema that does not say otherwise is checked as
 * closed, so a field a service adds without documenting it fails the check.
 */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = closeObjects(value);
  if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false;
  return copy;
}

/** `/api/orders/x` and `/api/v1/orders/x` are one operation: the alias is not documented twice. */
function canonicalPath(url: string): string {
  const path = url.split('?')[0]!;
  return path.startsWith('/api/') && !path.startsWith('/api/v1/') && !path.startsWith('/api/docs')
    ? path.replace(/^\/api\//, '/api/v1/')
    : path;
}

/** The template a path matches; a literal segment beats a parameter (`/users/me` over `/users/{id}`). */
function matchTemplate(templates: string[], path: string): string | undefined {
  const segments = path.split('/');
  const candidates = templates.filter((template) => {
    const parts = template.split('/');
    return (
      parts.length === segments.length &&
      parts.every((part, i) => part.startsWith('{') || part === segments[i])
    );
  });
  const literals = (template: string) =>
    template.split('/').filter((part) => !part.startsWith('{')).length;
  return candidates.sort((a, b) => literals(b) - literals(a))[0];
}

/** Checks real answers against the OpenAPI document the gateway serves. */
export class ConformanceChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    this.ajv.addSchema(closeObjects({ $id: 'openapi.json', ...document }) as object);
  }

  operationFor(method: string, url: string): MatchedOperation | undefined {
    const template = matchTemplate(Object.keys(this.document.paths), canonicalPath(url));
    const operation = template ? this.document.paths[template]?.[method.toLowerCase()] : undefined;
    return template && operation
      ? { template, method: method.toLowerCase(), operation }
      : undefined;
  }

  /** Every operation of the document, as `get /api/v1/orders/{id}`. */
  operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([template, item]) =>
      METHODS.filter((method) => item[method]).map((method) => `${method} ${template}`),
    );
  }

  /** What is wrong with one answer; empty when it is what the document says. */
  problemsOf(exchange: Exchange): string[] {
    const matched = this.operationFor(exchange.method, exchange.url);
    if (!matched) return ['the operation is not documented'];
    const status = String(exchange.status);
    const response = matched.operation.responses[status];
    if (!response)
      return [`${status} is not a documented answer of ${matched.operation.operationId}`];
    const problems: string[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (this.isRequired(header) && !exchange.headers.has(name))
        problems.push(`no ${name} header`);
    }
    const contentType = exchange.headers.get('content-type')?.split(';')[0]?.trim();
    const mediaTypes = Object.keys(response.content ?? {});
    if (mediaTypes.length === 0) {
      if (exchange.text !== '') problems.push('a body where the document says there is none');
      return problems;
    }
    if (!contentType || !mediaTypes.includes(contentType)) {
      return [...problems, `content-type ${contentType} where the document says ${mediaTypes}`];
    }
    if (!contentType.endsWith('json')) return problems;
    const pointer = [
      'paths',
      matched.template,
      matched.method,
      'responses',
      status,
      'content',
      contentType,
      'schema',
    ]
      .map((part) => encodeURIComponent(part.replaceAll('~', '~0').replaceAll('/', '~1')))
      .join('/');
    const validate = this.validatorFor(`openapi.json#/${pointer}`);
    if (!validate(JSON.parse(exchange.text)))
      problems.push(this.ajv.errorsText(validate.errors, { separator: '; ' }));
    return problems;
  }

  private isRequired(header: unknown): boolean {
    const { $ref } = header as { $ref?: string };
    const resolved = $ref
      ? this.document.components.headers?.[$ref.replace('#/components/headers/', '')]
      : header;
    return (resolved as { required?: boolean } | undefined)?.required === true;
  }

  private validatorFor(ref: string): ValidateFunction {
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    return validate;
  }
}
