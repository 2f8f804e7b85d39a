import { z } from 'zod';

/**
 * The public request and response shapes of DESIGN.md section 4, as zod schemas. The services
 * validate their own input; these describe it for callers and feed the OpenAPI document.
 */

const id = z.string().min(1).describe('An opaque string id');
const cents = z.number().int().min(0).describe('Integer cents');
const timestamp = z.iso.datetime();

export const role = z.enum(['customer', 'admin']);

export const registerBody = z.object({
  email: z.email().max(254),
  password: z.string().min(8).describe('At least 8 characters, not the email address'),
  name: z.string().min(1).max(100),
});

export const loginBody = z.object({
  email: z.email().max(254),
  password: z.string().min(1).max(1024),
});

export const refreshTokenBody = z.object({ refreshToken: z.string().min(1).max(200) });

export const user = z.object({ id, email: z.email(), name: z.string(), role });

export const session = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int().describe('Seconds until the access token expires'),
  user,
});

export const orderStatus = z.enum(['PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED']);

export const orderLine = z.object({
  productId: id,
  quantity: z.number().int().min(1),
  unitPrice: cents,
});

export const order = z.object({
  id,
  userId: id,
  status: orderStatus,
  items: z.array(orderLine),
  total: cents,
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const userWithOrders = user.extend({
  orders: z.array(order),
  ordersUnavailable: z.boolean().optional().describe('True when order-service did not answer'),
});

export const productQuery = z.object({
  q: z.string().max(200).optional().describe('Free-text search'),
  category: z.string().min(1).max(100).optional(),
  minPrice: z.string().regex(/^\d+$/).optional().describe('Integer cents'),
  maxPrice: z.string().regex(/^\d+$/).optional().describe('Integer cents'),
  sort: z.enum(['price', '-price', 'name', 'newest']).optional(),
  page: z.string().regex(/^\d+$/).optional(),
  limit: z.string().regex(/^\d+$/).optional().describe('1 to 100'),
});

export const newProductBody = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(5000),
  price: cents,
  category: z.string().min(1).max(100),
  sku: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  initialStock: z.number().int().min(0).optional(),
});

export const productChangesBody = newProductBody.omit({ initialStock: true }).partial();

export const product = z.object({
  id,
  name: z.string(),
  description: z.string(),
  price: cents,
  category: z.string(),
  sku: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    page: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
  });

export const productPage = page(product);
export const orderPage = page(order);

export const orderQuery = z.object({
  page: z.string().regex(/^\d+$/).optional(),
  limit: z.string().regex(/^\d+$/).optional(),
  status: orderStatus.optional(),
});

export const placeOrderBody = z.object({
  items: z
    .array(z.object({ productId: id, quantity: z.number().int().min(1) }))
    .min(1)
    .describe('Unit prices are taken from the catalog, never from the caller'),
});

export const stockLevel = z.object({
  productId: id,
  available: z.number().int().min(0),
  reserved: z.number().int().min(0),
});

export const restockBody = z.object({ available: z.number().int().min(0) });

export const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  requestId: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const health = z.object({
  status: z.literal('ok'),
  service: z.string(),
  uptimeSeconds: z.number(),
});

export const readiness = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.record(z.string(), z.enum(['up', 'down'])),
});
