import { Router, type Request } from 'express';
import type { Pool } from '@shop/postgres';
import {
  AppError,
  authenticate,
  parseInput,
  principalOf,
  UnauthorizedError,
  type Logger,
} from '@shop/service-kit';
import { z } from 'zod';
import { findUserById, publicUser } from '../db/users';
import { normaliseEmail } from '../domain/email';
import { passwordIsEmail, passwordProblems } from '../domain/password-policy';
import type { AccountMetrics } from '../metrics';
import { logIn } from '../use-cases/log-in';
import { logOut } from '../use-cases/log-out';
import { readUserProfile, type OrderHistory } from '../use-cases/read-user';
import { refreshSession } from '../use-cases/refresh-session';
import { registerCustomer } from '../use-cases/register-customer';
import type { AccountSettings } from '../use-cases/settings';

const email = z.string().max(254).transform(normaliseEmail).pipe(z.email());

const registration = z
  .object({
    email,
    password: z.string().superRefine((password, context) => {
      for (const problem of passwordProblems(password)) {
        context.addIssue({ code: 'custom', message: `The password ${problem}` });
      }
    }),
    name: z.string().trim().min(1).max(100),
  })
  .superRefine((body, context) => {
    if (passwordIsEmail(body.password, body.email)) {
      context.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'The password must not be the email address',
      });
    }
  });

const credentials = z.object({
  email,
  // No policy here: a login checks the password people have, whatever the rules were then.
  password: z.string().min(1).max(1024),
});

const refreshTokenBody = z.object({ refreshToken: z.string().min(1).max(200) });

export interface UserRoutesDeps {
  pool: Pool;
  logger: Logger;
  settings: AccountSettings;
  orders: OrderHistory;
  metrics: AccountMetrics;
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
    const body = parseInput(registration, req.body, 'body');
    res.status(201).json(await registerCustomer(deps, body));
  });

  router.post('/users/login', async (req, res) => {
    const body = parseInput(credentials, req.body, 'body');
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

/** The caller's address as the gateway saw it (Express trusts X-Forwarded-For from private hops). */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
