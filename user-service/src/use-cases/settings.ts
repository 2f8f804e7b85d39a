import type { Config } from '../config';
import type { ThrottleLimits } from '../domain/login-throttle';
import { DEFAULT_SCRYPT_PARAMS, type ScryptParams } from '../security/passwords';

export interface LoginLimits {
  /** Per account and address pair: a guesser elsewhere never locks the real user out. */
  account: ThrottleLimits;
  /** Per address, whatever the account: stops one machine from spraying many accounts. */
  ip: ThrottleLimits;
}

/** Everything the account flows need besides the database; tests pass small numbers. */
export interface AccountSettings {
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlMs: number;
  passwordHashing: ScryptParams;
  loginLimits: LoginLimits;
}

const SECOND = 1000;
const DAY = 86_400 * SECOND;

export function accountSettingsFrom(config: Config): AccountSettings {
  const throttle = (maxFailures: number): ThrottleLimits => ({
    maxFailures,
    windowMs: config.LOGIN_WINDOW_SECONDS * SECOND,
    backoffBaseMs: config.LOGIN_BACKOFF_BASE_SECONDS * SECOND,
    backoffMaxMs: config.LOGIN_BACKOFF_MAX_SECONDS * SECOND,
  });
  return {
    jwtSecret: config.JWT_SECRET,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlMs: config.REFRESH_TOKEN_TTL_DAYS * DAY,
    passwordHashing: DEFAULT_SCRYPT_PARAMS,
    loginLimits: {
      account: throttle(config.LOGIN_MAX_FAILURES),
      ip: throttle(config.LOGIN_MAX_FAILURES_PER_IP),
    },
  };
}
