import { z } from 'zod';

export const serviceName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug like "order-service"');

const looksNumeric = (value: string) => /^[\d.]+$/.test(value);

export const serviceHost = z
  .string()
  .max(253)
  .pipe(z.union([z.ipv4(), z.ipv6(), z.hostname()]))
  .refine((host) => !looksNumeric(host) || z.ipv4().safeParse(host).success, {
    message: 'must be a hostname or an IP address',
  });

export const registrationSchema = z.strictObject({
  name: serviceName,
  host: serviceHost,
  port: z.number().int().min(1).max(65535),
  healthCheck: z
    .string()
    .max(200)
    .regex(/^\/[\w\-./]*$/, 'must be a path such as "/health"')
    .optional(),
});

export const serviceIdParam = z.string().min(1).max(100);

export const servicesQuery = z.object({
  name: serviceName.optional(),
  state: z.enum(['healthy', 'stale']).optional(),
});
