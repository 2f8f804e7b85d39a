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
    total: z.number().int(),
  });

/** RFC 9457 problem details, as the service kit's error handler writes them. */
export const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  requestId: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** GET /health of every process, the gateway included. */
export const health = z.object({
  status: z.literal('ok'),
  service: z.string(),
  uptimeSeconds: z.number(),
});

/** GET /ready: 200 when every dependency answers, 503 otherwise. */
export const readiness = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.record(z.string(), z.enum(['up', 'down'])),
});
