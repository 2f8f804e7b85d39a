import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { OpenApiDocument, OpenApiOperation } from './openapi-conformance';

/** One generated HTTP request, as bytes on the wire will carry it. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** What the generators may use that only the running system knows: real ids and tokens. */
export interface FuzzContext {
  ids: string[];
  tokens: string[];
}

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
};

// Values no schema allows, each aimed at a way a service has broken or could break.
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'name\u0000with a NUL',
  '\ud800',
  'lone \udfff surrogate',
  '\u202egnp.exe',
  '\ufeff',
  '𝕦𝕟𝕚𝕔𝕠𝕕𝕖 ✓ 🛒',
  'Z̷̢̛a̸̡l̵̨g̶o̴',
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '1; SELECT pg_sleep(5)',
  '../../../etc/passwd',
  '%ff%fe',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  'A'.repeat(10_000),
  '0'.repeat(400),
  '65F1F2F3F4F5F6F7F8F9FAFB',
];

const OPERATORS = ['$ne', '$gt', '$where', '$regex', '$expr', '$or', '$in', '$exists'];

/** JSON text whose keys a JavaScript object literal could not spell: `__proto__` as own key. */
const POLLUTING_JSON = [
  '{"__proto__":{"role":"admin","isAdmin":true}}',
  '{"constructor":{"prototype":{"role":"admin"}}}',
  '{"items":[{"productId":"x","quantity":1,"__proto__":{"quantity":9999}}]}',
];

function deepNesting(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? '['.repeat(depth) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
);

/** Anything JSON can carry, mostly of the wrong type and shape. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    -0,
    1.5,
    1e308,
    -1e308,
    2 ** 53 + 1,
    Number.MAX_SAFE_INTEGER,
    [],
    {},
  ),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc
    .tuple(fc.constantFrom(...OPERATORS), fc.oneof(hostileString, fc.constant(null), fc.integer()))
    .map(([operator, value]) => ({ [operator]: value })),
  fc.array(hostileString, { maxLength: 3 }),
  fc.constant('x'.repeat(200_000)),
);

/** The WTF-8 bytes of a lone surrogate: what a client that does not check UTF-16 sends. */
function percentEncode(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

function resolve(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return resolve(document, document.components.schemas[name] as JsonSchema);
}

/** Values a JSON Schema (of the generated document) accepts, or nearly: patterns are honoured. */
function fromSchema(document: OpenApiDocument, raw: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(document, raw);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => fromSchema(document, s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      if (schema.format === 'email')
        return fc.emailAddress().filter((email) => email.length <= (schema.maxLength ?? 254));
      return fc.string({
        minLength: schema.minLength ?? 0,
        maxLength: Math.min(schema.maxLength ?? 30, 60),
      });
    case 'integer':
      return fc.integer({
        min: Math.max(schema.minimum ?? -1000, Number.MIN_SAFE_INTEGER),
        max: Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER),
      });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(
        schema.items && depth < 4 ? fromSchema(document, schema.items, depth + 1) : fc.string(),
        {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 3, 3),
        },
      );
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      return fc.record(
        Object.fromEntries(
          properties.map(([name, s]) => [name, fromSchema(document, s, depth + 1)]),
        ),
        { requiredKeys: properties.map(([name]) => name).filter((name) => required.has(name)) },
      );
    }
    default:
      return hostileValue;
  }
}

/** A schema-valid object with one field swapped for a hostile value, or an extra key added. */
function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      valid,
      fc.nat(),
      hostileValue,
      fc.constantFrom('replace', 'add'),
      fc.constantFrom(...OPERATORS, 'extra'),
    )
    .map(([value, index, hostile, how, key]) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return hostile;
      const copy: Record<string, unknown> = { ...value };
      const keys = Object.keys(copy);
      if (how === 'replace' && keys.length > 0) copy[keys[index % keys.length]!] = hostile;
      else copy[key] = hostile;
      return copy;
    });
}

type BodyPlan = { bytes: Buffer; contentType: string };

function jsonBody(value: unknown): BodyPlan {
  return { bytes: Buffer.from(JSON.stringify(value) ?? 'null'), contentType: 'application/json' };
}

function bodyArbitrary(
  document: OpenApiDocument,
  operation: OpenApiOperation,
): fc.Arbitrary<BodyPlan> {
  const schema = operation.requestBody?.content['application/json']?.schema as
    JsonSchema | undefined;
  const valid = schema ? fromSchema(document, schema) : fc.constant({});
  return fc.oneof(
    { weight: 3, arbitrary: valid.map(jsonBody) },
    { weight: 4, arbitrary: mutated(valid).map(jsonBody) },
    { weight: 2, arbitrary: hostileValue.map(jsonBody) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom(...POLLUTING_JSON),
          fc.constantFrom(deepNesting(5_000, 'array'), deepNesting(5_000, 'object')),
          fc.constantFrom('{"items":', '{"a":1,}', "{'a':1}", 'null', '"just a string"', '[]', ''),
        )
        .map((text) => ({ bytes: Buffer.from(text), contentType: 'application/json' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 64 })
        .map((bytes) => ({ bytes: Buffer.from(bytes), contentType: 'application/json' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          valid,
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=utf-16',
            'application/xml',
            'application/json;;;',
          ),
        )
        .map(([value, contentType]) => ({
          bytes: Buffer.from(JSON.stringify(value) ?? ''),
          contentType,
        })),
    },
  );
}

type Encoding = { name?: string; encode: (bytes: Buffer) => Buffer };

const ENCODINGS: Encoding[] = [
  { encode: (bytes) => bytes },
  { name: 'gzip', encode: (bytes) => gzipSync(bytes) },
  { name: 'gzip', encode: (bytes) => Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), bytes]) },
  { name: 'deflate', encode: (bytes) => bytes },
  { name: 'br', encode: (bytes) => bytes },
  { name: 'identity', encode: (bytes) => bytes },
  { name: 'x-unknown', encode: (bytes) => bytes },
];

/** Printable ASCII and Latin-1 only: fetch itself refuses any other header value. */
const headerValue = fc.oneof(
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 300,
  }),
  fc.string({
    unit: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)),
    maxLength: 20,
  }),
  fc.constantFrom('', ' ', "' OR 1=1 --", 'x'.repeat(20_000)),
);

function authorization(context: FuzzContext): fc.Arbitrary<string | undefined> {
  // Mostly a real token, so most requests get past the gateway to the service behind it.
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...context.tokens).map((token) => `Bearer ${token}`) },
    fc.constant(undefined),
    fc.constantFrom(...context.tokens).map((token) => `Bearer ${token.slice(0, -3)}abc`),
    fc.constantFrom(
      'Bearer ',
      'Bearer garbage',
      'Basic YWRtaW46YWRtaW4=',
      // alg none, role admin, no signature
      'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.',
    ),
    headerValue,
  );
}

function pathSegment(context: FuzzContext, schema: JsonSchema | undefined): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...context.ids).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom(...context.ids).map((id) => id.toUpperCase()) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...context.ids)
        .map((id) => ` ${id}`)
        .map(percentEncode),
    },
    {
      weight: 2,
      arbitrary: (schema ? fc.string({ minLength: 1, maxLength: 40 }) : fc.string()).map(
        percentEncode,
      ),
    },
    { weight: 3, arbitrary: hostileString.filter((s) => s !== '').map(percentEncode) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '%ff',
        '%',
        '%zz',
        '%00',
        '%ED%A0%80',
        '%2e%2e',
        '..%2f..',
        '%c0%ae',
        'a%2fb',
      ),
    },
  );
}

function queryString(
  document: OpenApiDocument,
  parameters: NonNullable<OpenApiOperation['parameters']>,
): fc.Arbitrary<string> {
  const names = parameters.map((parameter) => parameter.name);
  const documented = parameters.map((parameter) =>
    fc
      .oneof(fromSchema(document, parameter.schema as JsonSchema).map(String), hostileString)
      .map((value) => `${percentEncode(parameter.name)}=${percentEncode(value)}`),
  );
  const outside = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(...(names.length > 0 ? names : ['q'])),
        fc.constantFrom(...OPERATORS),
        hostileString,
      )
      .map(
        ([name, operator, value]) => `${name}[${percentEncode(operator)}]=${percentEncode(value)}`,
      ),
    fc.constantFrom(
      '__proto__[role]=admin',
      'constructor[prototype][x]=1',
      'page=1&page=2',
      'limit[]=5',
      '%ff=1',
      'q=%ff',
    ),
    fc
      .tuple(hostileString, hostileString)
      .map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`),
  );
  return fc
    .tuple(
      fc.subarray(documented.length > 0 ? documented : [fc.constant('')]),
      fc.array(outside, { maxLength: 2 }),
    )
    .chain(([picked, extra]) => fc.tuple(fc.tuple(...picked), fc.constant(extra)))
    .map(([picked, extra]) => [...picked, ...extra].filter(Boolean).join('&'));
}

const rarely = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, value);

/** Requests for one operation: from its schemas and from outside them, in every part. */
export function requestsFor(
  document: OpenApiDocument,
  template: string,
  method: string,
  context: FuzzContext,
): fc.Arbitrary<FuzzRequest> {
  const operation = document.paths[template]![method]!;
  const parameters = operation.parameters ?? [];
  const pathNames = [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  const pathSegments = fc.tuple(
    ...pathNames.map((name) =>
      pathSegment(
        context,
        parameters.find((p) => p.in === 'path' && p.name === name)?.schema as JsonSchema,
      ),
    ),
  );
  const query = queryString(
    document,
    parameters.filter((parameter) => parameter.in === 'query'),
  );
  const hasBody = Boolean(operation.requestBody) || method !== 'get';
  return fc
    .record({
      segments: pathSegments,
      query,
      alias: fc.boolean(),
      body: hasBody ? bodyArbitrary(document, operation) : fc.constant(undefined),
      encoding: fc.oneof(
        { weight: 6, arbitrary: fc.constant(ENCODINGS[0]!) },
        fc.constantFrom(...ENCODINGS.slice(1)),
      ),
      authorization: authorization(context),
      idempotencyKey: rarely(headerValue),
      requestId: rarely(headerValue),
    })
    .map((plan) => {
      let path = pathNames.reduce(
        (filled, name, i) => filled.replace(`{${name}}`, plan.segments[i]!),
        template,
      );
      if (plan.alias) path = path.replace(/^\/api\/v1\//, '/api/');
      const headers: Record<string, string> = {};
      if (plan.authorization !== undefined) headers.authorization = plan.authorization;
      if (plan.idempotencyKey !== undefined) headers['idempotency-key'] = plan.idempotencyKey;
      if (plan.requestId !== undefined) headers['x-request-id'] = plan.requestId;
      let body: Buffer | undefined;
      if (plan.body) {
        headers['content-type'] = plan.body.contentType;
        body = plan.encoding.encode(plan.body.bytes);
        if (plan.encoding.name) headers['content-encoding'] = plan.encoding.name;
      }
      return {
        method: method.toUpperCase(),
        url: plan.query ? `${path}?${plan.query}` : path,
        headers,
        body,
      };
    });
}
