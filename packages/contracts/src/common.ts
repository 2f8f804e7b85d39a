import { z } from 'zod';

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
