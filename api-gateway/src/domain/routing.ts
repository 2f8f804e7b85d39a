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

/** What a request path is to the gateway: its route, and what the path becomes upstream. */
export interface RouteMatch {
  route: GatewayRoute;
  /** The route's label in metrics and traces, never the raw path (ids would explode the series). */
  pattern: string;
  /** The path without its query. */
  path: string;
  /**
   * The segments after the resource, percent-decoded: `/api/users/me` has `['me']`; null when
   * one of them is not valid percent-encoding.
   */
  rest: string[] | null;
  /** `/api/v1/users/me?x=1` and `/api/users/me?x=1` both become `/users/me?x=1`. */
  upstreamUrl: string;
}

const ROUTES_BY_RESOURCE = new Map(
  GATEWAY_ROUTES.map((route) => [
    route.resource,
    { route, pattern: `/api{/v1}/${route.resource}{/*rest}` },
  ]),
);

// `/api`, an optional `/v1` (`/api/v1` is canonical, `/api` its alias), a resource of the table,
// then nothing, `/` or more segments: `/api/usersX` is not a users route. Matched without regard
// to case, as the services' routers match.
const ROUTE_PATH = new RegExp(
  `^(/api(?:/v1)?)/(${GATEWAY_ROUTES.map((route) => route.resource).join('|')})(?:/(.*))?$`,
  'i',
);

function decodedSegments(tail: string | undefined): string[] | null {
  if (tail === undefined || tail === '') return [];
  const segments = tail.split('/');
  if (!tail.includes('%')) return segments;
  try {
    return segments.map(decodeURIComponent);
  } catch {
    return null;
  }
}

/**
 * The gateway route a request URL belongs to, or undefined when it is none of them (the docs, a
 * probe, an unknown path).
 */
export function matchRoute(url: string): RouteMatch | undefined {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const found = ROUTE_PATH.exec(path);
  if (!found) return undefined;
  const { route, pattern } = ROUTES_BY_RESOURCE.get(found[2]!.toLowerCase() as Resource)!;
  return {
    route,
    pattern,
    path,
    rest: decodedSegments(found[3]),
    upstreamUrl: url.slice(found[1]!.length),
  };
}

const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/** A `.` or `..` segment, plain or percent-encoded, has no business in an API path. */
export function hasDotSegment(path: string): boolean {
  return DOT_SEGMENT.test(path);
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
