import { Router, type Request, type RequestHandler } from 'express';
import { ValidationError } from '@shop/service-kit';
import {
  GATEWAY_ROUTES,
  accessFor,
  hasDotSegment,
  isCredentialAttempt,
  routePattern,
  upstreamPath,
  type GatewayRoute,
} from '../domain/routing';
import { forwardIdentity, optionalPrincipal, requirePrincipal } from '../middleware/identity';
import type { UpstreamDirectory } from '../upstreams/directory';
import { PayloadTooLargeError, type GatewayProxy } from '../upstreams/proxy';

function restOf(req: Request): string[] {
  const rest: unknown = req.params.rest;
  return Array.isArray(rest) ? rest.map(String) : [];
}

/**
 * One route per upstream (`/api{/v1}/<resource>{/*rest}`): check the path and the caller, pick an
 * instance, and stream the request there. Nothing here reads the body.
 */
export function gatewayRoutes(deps: {
  directory: UpstreamDirectory;
  proxy: GatewayProxy;
  jwtSecret: string;
  bodyLimitBytes: number;
  credentialLimiter: RequestHandler;
}): Router {
  const router = Router();

  const toUpstream =
    (route: GatewayRoute): RequestHandler =>
    async (req, res, next) => {
      if (hasDotSegment(req.path))
        throw ValidationError('The path must not contain . or .. segments');
      const rest = restOf(req);
      const principal =
        accessFor(route.resource, req.method, rest) === 'authenticated'
          ? requirePrincipal(req, deps.jwtSecret)
          : optionalPrincipal(req, deps.jwtSecret);
      if (principal) forwardIdentity(req, principal);

      const declaredLength = Number(req.headers['content-length'] ?? 0);
      if (declaredLength > deps.bodyLimitBytes) throw PayloadTooLargeError(deps.bodyLimitBytes);

      const choice = await deps.directory.choose(route.upstream);
      req.upstreamCall = deps.proxy.startCall(choice, upstreamPath(req.originalUrl));
      await deps.proxy.forward(req, res, next);
    };

  for (const route of GATEWAY_ROUTES) {
    const credentialLimit: RequestHandler = (req, res, next) =>
      isCredentialAttempt(route.resource, req.method, restOf(req))
        ? deps.credentialLimiter(req, res, next)
        : next();
    router.all(routePattern(route), credentialLimit, toUpstream(route));
  }
  return router;
}
