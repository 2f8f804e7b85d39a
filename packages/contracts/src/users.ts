import { z } from 'zod';
import { id, text } from './common';
import { order } from './orders';
import { passwordIsEmail, passwordProblems } from './password-policy';

/**
 * One spelling per mailbox: surrounding spaces dropped, all lower case. The local part is
 * case-sensitive in theory, but no mail provider a shop's customers use treats it so, and two
 * accounts for "Ann@x.io" and "ann@x.io" would only confuse people.
 */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

const email = text().max(254).transform(normaliseEmail).pipe(z.email());

export const registerBody = z
  .object({
    email,
    password: text()
      .superRefine((password, context) => {
        for (const problem of passwordProblems(password)) {
          context.addIssue({ code: 'custom', message: `The password ${problem}` });
        }
      })
      .describe(
        '8 to 128 characters, at least two kinds (lower, upper, digit, symbol), at least four ' +
          'different characters, not the email address',
      ),
    name: text().trim().min(1).max(100),
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

export const loginBody = z.object({
  email,
  // No policy here: a login checks the password people have, whatever the rules were then.
  password: z.string().min(1).max(1024),
});

export const refreshTokenBody = z.object({ refreshToken: z.string().min(1).max(200) });

export const role = z.enum(['customer', 'admin']);

export const user = z.object({ id, email: z.email(), name: z.string(), role }).meta({ id: 'User' });

/** What login and refresh answer. */
export const session = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().describe('Seconds until the access token expires'),
    user,
  })
  .meta({ id: 'Session' });

/** GET /users/{id}: the user with their orders, even when order-service does not answer. */
export const userWithOrders = user
  .extend({
    orders: z.array(order),
    ordersUnavailable: z
      .boolean()
      .describe('True when order-service did not answer in time: orders is then empty'),
  })
  .meta({ id: 'UserWithOrders' });
