import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** One span as an OTLP receiver sees it, with the service that sent it. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the exporters post to `${url}/v1/traces`). */
  url: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
}

const anyValue = z.object({
  stringValue: z.string().optional(),
  intValue: z.union([z.string(), z.number()]).optional(),
  doubleValue: z.number().optional(),
  boolValue: z.boolean().optional(),
});
const keyValue = z.object({ key: z.string(), value: anyValue });

// The OTLP/JSON encoding (OTEL_EXPORTER_OTLP_PROTOCOL=http/json): ids are hex strings.
const exportRequest = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z.object({ attributes: z.array(keyValue).default([]) }).optional(),
      scopeSpans: z.array(
        z.object({
          spans: z.array(
            z.object({
              traceId: z.string(),
              spanId: z.string(),
              parentSpanId: z.string().optional(),
              name: z.string(),
              kind: z.number(),
              attributes: z.array(keyValue).default([]),
            }),
          ),
        }),
      ),
    }),
  ),
});

function attributeMap(attributes: z.infer<typeof keyValue>[]) {
  const map: ReceivedSpan['attributes'] = {};
  for (const { key, value } of attributes) {
    const scalar =
      value.stringValue ??
      (value.intValue === undefined ? undefined : Number(value.intValue)) ??
      value.doubleValue ??
      value.boolValue;
    if (scalar !== undefined) map[key] = scalar;
  }
  return map;
}

/**
 * A real OTLP/HTTP trace receiver for tests: services export to it exactly as they would to a
 * collector or Jaeger, and the test reads what arrived.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const parsed =
        request.method === 'POST' && request.url === '/v1/traces'
          ? exportRequest.safeParse(safeJson(Buffer.concat(chunks).toString('utf8')))
          : undefined;
      if (!parsed?.success) {
        response.writeHead(400).end();
        return;
      }
      for (const resourceSpans of parsed.data.resourceSpans) {
        const resource = attributeMap(resourceSpans.resource?.attributes ?? []);
        const service = String(resource['service.name'] ?? 'unknown');
        for (const scope of resourceSpans.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              attributes: attributeMap(span.attributes),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
