/**
 * The gateway's route table and its access rules (docs/architecture.md, "Public API"), as plain data and
 * functions: which service owns a path, what the path becomes upstream, and who may call it.
 */

export const UPSTREAM_NAMES = [
  'user-service',
  'product-service',
  'order-service',
  'inventory-service',
] as const;
export type UpstreamName = (typeof UPSTREAM_NAMES)[number];

export type Resource = 'users' | 'products' | 'orders' | 'inventory';

export interface GatewayRoute {
  resource: Resource;
  upstream: UpstreamName;
}

export const GATEWAY_ROUTES: readonly GatewayRoute[] = [
  { resource: 'users', upstream: 'user-service' },
  { resource: 'products', upstream: 'product-service' },
  { resource: 'orders', upstream: 'order-service' },
  { resource: 'inventory', upstream: 'inventory-service' },
];

/** `/api/v1` is canonical; `/api` is its alias. */
export const API_PREFIXES = ['/api/v1', '/api'] as const;

/** The Express 5 pattern of a route: `/api/users`, `/api/v1/users/me`, not `/api/usersX`. */
export function routePattern(route: GatewayRoute): string {
  return `/api{/v1}/${route.resource}{/*rest}`;
}

/** `/api/v1/users/me?x=1` and `/api/users/me?x=1` both become `/users/me?x=1`. */
export function upstreamPath(originalUrl: string): string {
  return originalUrl.replace(/^\/api(?:\/v1)?(?=\/)/, '');
}

/** A `.` or `..` segment, plain or percent-encoded, has no business in an API path. */
export function hasDotSegment(path: string): boolean {
  return path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}

export type Access = 'public' | 'authenticated';

const PUBLIC_USER_ACTIONS = new Set(['register', 'login', 'refresh']);
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Lower-cased, because the services' routers match paths case-insensitively: /users/LOGIN is a login. */
function firstSegmentOnly(rest: readonly string[]): string | undefined {
  const segments = rest.filter(Boolean);
  return segments.length === 1 ? segments[0]!.toLowerCase() : undefined;
}

/**
 * Who may reach a route. The gateway only checks that the caller is someone; what they may do
 * (admin-only writes, owners only) is decided again by the service, which verifies the token itself.
 */
export function accessFor(resource: Resource, method: string, rest: readonly string[]): Access {
  switch (resource) {
    case 'users': {
      const action = firstSegmentOnly(rest);
      return method === 'POST' && action !== undefined && PUBLIC_USER_ACTIONS.has(action)
        ? 'public'
        : 'authenticated';
    }
    case 'products':
      return READ_METHODS.has(method) ? 'public' : 'authenticated';
    case 'orders':
    case 'inventory':
      return 'authenticated';
  }
}

/** Logins and registrations get the stricter limit: they are what password guessing hits. */
export function isCredentialAttempt(
  resource: Resource,
  method: string,
  rest: readonly string[],
): boolean {
  const action = firstSegmentOnly(rest);
  return resource === 'users' && method === 'POST' && (action === 'login' || action === 'register');
}
