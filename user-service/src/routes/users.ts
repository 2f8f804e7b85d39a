import { Router, type Request } from 'express';
import { loginBody, refreshTokenBody, registerBody } from '@shop/contracts';
import type { Pool } from '@shop/postgres';
import {
  AppError,
  authenticate,
  parseInput,
  principalOf,
  UnauthorizedError,
  type Logger,
} from '@shop/service-kit';
import { findUserById, publicUser } from '../db/users';
import type { AccountMetrics } from '../metrics';
import { logIn } from '../use-cases/log-in';
import { logOut } from '../use-cases/log-out';
import { readUserProfile, type OrderHistory } from '../use-cases/read-user';
import { refreshSession } from '../use-cases/refresh-session';
import type { SessionRevocations } from '../security/session-revocation';
import { registerCustomer } from '../use-cases/register-customer';
import type { AccountSettings } from '../config';

export interface UserRoutesDeps {
  pool: Pool;
  logger: Logger;
  settings: AccountSettings;
  orders: OrderHistory;
  metrics: AccountMetrics;
  revocations: SessionRevocations;
  dummyHash: () => Promise<string>;
}

function loginOutcome(error: unknown): string {
  if (error instanceof AppError && error.kind === 'too-many-requests') return 'throttled';
  if (error instanceof AppError && error.kind === 'unauthorized') return 'rejected';
  return 'error';
}

export function userRoutes(deps: UserRoutesDeps): Router {
  const router = Router();
  const signedIn = authenticate({ secret: deps.settings.jwtSecret });

  router.post('/users/register', async (req, res) => {
    const body = parseInput(registerBody, req.body, 'body');
    res.status(201).json(await registerCustomer(deps, body));
  });

  router.post('/users/login', async (req, res) => {
    const body = parseInput(loginBody, req.body, 'body');
    try {
      const session = await logIn(deps, { ...body, ip: clientAddress(req) });
      deps.metrics.logins.inc({ outcome: 'success' });
      res.json(session);
    } catch (error) {
      deps.metrics.logins.inc({ outcome: loginOutcome(error) });
      throw error;
    }
  });

  router.post('/users/refresh', async (req, res) => {
    const { refreshToken } = parseInput(refreshTokenBody, req.body, 'body');
    const onReuse = () => deps.metrics.refreshReuse.inc();
    res.json(await refreshSession({ ...deps, onReuse }, refreshToken));
  });

  router.post('/users/logout', signedIn, async (req, res) => {
    const { refreshToken } = parseInput(refreshTokenBody, req.body, 'body');
    await logOut(deps, principalOf(req), refreshToken);
    res.status(204).end();
  });

  router.get('/users/me', signedIn, async (req, res) => {
    const user = await findUserById(deps.pool, principalOf(req).userId);
    if (!user) throw UnauthorizedError('The account no longer exists');
    res.json(publicUser(user));
  });

  router.get('/users/:id', signedIn, async (req, res) => {
    const id = String(req.params.id);
    res.json(await readUserProfile(deps, principalOf(req), id, req.headers.authorization));
  });

  return router;
}

/** The caller's address as the gateway saw it (Express believes TRUST_PROXY hops, no more). */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
