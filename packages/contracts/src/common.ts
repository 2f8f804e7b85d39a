import { z } from 'zod';

// With the u flag a well-formed surrogate pair is one code point, so \p{Cs} finds only lone halves.
const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /\p{Cc}/u;
// Descriptions may keep their line breaks and tabs; nothing else below U+0020, nor DEL or C1.
const CONTROL_BUT_LAYOUT = /(?![\t\n\r])\p{Cc}/u;

/**
 * Every text field of the API. Postgres cannot store NUL in text, and a lone UTF-16 surrogate is
 * not Unicode at all (encoders replace or reject it), so both would fail far from the request
 * that brought them; the schema refuses them, and control characters with them, at the door.
 */
export const text = (options: { multiline?: boolean } = {}) =>
  z
    .string()
    .refine((value) => !LONE_SURROGATE.test(value), {
      message: 'must be valid Unicode (no lone surrogate)',
    })
    .refine((value) => !(options.multiline ? CONTROL_BUT_LAYOUT : CONTROL).test(value), {
      message: options.multiline
        ? 'must not contain control characters other than tab and line breaks'
        : 'must not contain control characters',
    });

/** A product id: the hex of a MongoDB ObjectId in lower case, the one spelling every service uses. */
export const productId = z
  .string()
  .regex(/^[0-9a-f]{24}$/, 'must be 24 lower-case hexadecimal digits')
  .describe('24 lower-case hexadecimal digits; any other spelling is refused');

export const id = z.string().min(1).describe('An opaque string id');
export const cents = z.number().int().min(0).describe('Integer cents');
export const timestamp = z.iso.datetime();

/** The answer of every list endpoint: one page of items and how many there are in all. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    page: z.number().int(),
    limit: z.number().int(),
    total: z.number().int().describe('How many there are in all, across every page'),
  });

const problemFields = {
  type: z
    .string()
    .describe('A URI reference naming the kind of problem, such as /problems/conflict'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().describe('What went wrong with this request, in words a person can act on'),
  instance: z.string().optional(),
  requestId: z.string().describe('The X-Request-Id of the answer: quote it when asking why'),
  errors: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .describe('One entry per field that failed validation'),
};

/** RFC 9457 problem details, as the service kit's error handler writes them. */
export const problem = z.object(problemFields).meta({
  id: 'Problem',
  description: 'RFC 9457 problem details, answered as application/problem+json',
});

/** Problem details with extension members that a client can act on beside `detail`. */
export const problemWith = <T extends z.ZodRawShape>(id: string, extensions: T) =>
  z.object({ ...problemFields, ...extensions }).meta({ id });

/** GET /health of every process, the gateway included. */
export const health = z
  .object({
    status: z.literal('ok'),
    service: z.string(),
    uptimeSeconds: z.number(),
  })
  .meta({ id: 'Health' });

/** GET /ready: 200 when every dependency answers, 503 otherwise. */
export const readiness = z
  .object({
    status: z.enum(['ready', 'not-ready']),
    checks: z
      .record(z.string(), z.enum(['up', 'down']))
      .describe('Each dependency by name: redis, upstreams'),
  })
  .meta({ id: 'Readiness' });
