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
import type { Admission } from '../middleware/admission';
import { callerOf, forwardIdentity, principalFor } from '../middleware/identity';
import { PayloadTooLargeError, type GatewayProxy } from '../upstreams/proxy';

function restOf(req: Request): string[] {
  const rest: unknown = req.params.rest;
  return Array.isArray(rest) ? rest.map(String) : [];
}

/**
 * One route per upstream (`/api{/v1}/<resource>{/*rest}`): check the path, count the request
 * and check the caller's session in one Redis round trip, check the caller, and stream the
 * request to an instance. Nothing here reads the body.
 */
export function gatewayRoutes(deps: {
  proxy: GatewayProxy;
  admission: Admission;
  jwtSecret: string;
  bodyLimitBytes: number;
}): Router {
  const router = Router();

  const toUpstream =
    (route: GatewayRoute): RequestHandler =>
    async (req, res) => {
      const rest = restOf(req);
      const caller = callerOf(req, deps.jwtSecret);
      const { revoked } = await deps.admission.admit(req, res, {
        credentialAttempt: isCredentialAttempt(route.resource, req.method, rest),
        sessionId: caller.kind === 'signed-in' ? caller.sessionId : undefined,
      });
      if (hasDotSegment(req.path))
        throw ValidationError('The path must not contain . or .. segments');
      const principal = principalFor(caller, accessFor(route.resource, req.method, rest), revoked);
      if (principal) forwardIdentity(req, principal);

      const declaredLength = Number(req.headers['content-length'] ?? 0);
      if (declaredLength > deps.bodyLimitBytes) throw PayloadTooLargeError(deps.bodyLimitBytes);

      await deps.proxy.forward(req, res, route.upstream, upstreamPath(req.originalUrl));
    };

  for (const route of GATEWAY_ROUTES) router.all(routePattern(route), toUpstream(route));
  return router;
}
