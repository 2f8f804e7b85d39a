/**
 * A fixed-window limit as the gateway applies it: the count of requests in the window that the
 * caller's first request opened, against the limit. Pure, so its headers and verdicts are
 * unit-tested; the counting itself happens in Redis (see middleware/admission.ts).
 */
export interface RateLimitPolicy {
  limit: number;
  windowMs: number;
}

export interface RateWindow {
  /** Requests counted in this window, this one included. */
  hits: number;
  /** Milliseconds until the window closes. */
  remainingMs: number;
}

export interface RateVerdict {
  exceeded: boolean;
  /** IETF draft 8 `RateLimit` and `RateLimit-Policy` values for this policy. */
  rateLimit: string;
  policy: string;
  retryAfterSeconds: number;
}

/** The policy's name in the headers, as express-rate-limit spelled it before: `100-in-60sec`. */
export const policyName = (policy: RateLimitPolicy): string =>
  `${policy.limit}-in-${Math.ceil(policy.windowMs / 1000)}sec`;

/** What a policy's headers say whatever the count: made once per policy, not per request. */
const spelled = new WeakMap<RateLimitPolicy, { rateLimitStart: string; policy: string }>();

function spellingOf(policy: RateLimitPolicy) {
  let spelling = spelled.get(policy);
  if (!spelling) {
    const name = policyName(policy);
    spelling = {
      rateLimitStart: `"${name}"; r=`,
      policy: `"${name}"; q=${policy.limit}; w=${Math.ceil(policy.windowMs / 1000)}`,
    };
    spelled.set(policy, spelling);
  }
  return spelling;
}

export function judgeWindow(policy: RateLimitPolicy, window: RateWindow): RateVerdict {
  const spelling = spellingOf(policy);
  const resetSeconds = Math.max(0, Math.ceil(window.remainingMs / 1000));
  return {
    exceeded: window.hits > policy.limit,
    rateLimit: `${spelling.rateLimitStart}${Math.max(0, policy.limit - window.hits)}; t=${resetSeconds}`,
    policy: spelling.policy,
    retryAfterSeconds: Math.max(1, resetSeconds),
  };
}
