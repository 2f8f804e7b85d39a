import { z } from 'zod';
import { LOG_LEVELS } from './logger';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);
/** A port that may be left unset (METRICS_PORT); 0 picks a free one, as tests do. */
export const optionalPort = () => z.coerce.number().int().min(0).max(65535).optional();
export const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);
/** A switch that is off unless set to 'true'; a value other than 'true' or 'false' is refused. */
export const flag = () =>
  z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true');

// The example values say "change-me" (.env.example) or "replace-with-..." / "replace-me" (the
// Kubernetes secret template): a deployment that forgot to replace them would sign tokens with a
// key published in the repository, or run with a password anyone can read, so they are refused
// everywhere.
const PLACEHOLDER = /change-?me|replace-?(with|me(?!nt))/i;
const PLACEHOLDER_MESSAGE = 'is a placeholder (change-me, replace-with-..., replace-me)';
const isPlaceholder = (value: string) => PLACEHOLDER.test(value);

/** A shared secret: long enough to resist guessing, and never the documented placeholder. */
export const secret = () =>
  z
    .string()
    .min(32)
    .refine((value) => !isPlaceholder(value), {
      message: `${PLACEHOLDER_MESSAGE}; generate a real secret`,
    });

/** A password a deployment chooses (ADMIN_PASSWORD): never the documented placeholder. */
export const password = (minLength: number) =>
  z
    .string()
    .min(minLength)
    .refine((value) => !isPlaceholder(value), {
      message: `${PLACEHOLDER_MESSAGE}; choose a real password`,
    });

/** The password of a URL as its server reads it; '' when there is none or it cannot be read. */
function passwordOf(value: string): string {
  if (!URL.canParse(value)) return '';
  const { password } = new URL(value);
  try {
    return decodeURIComponent(password);
  } catch {
    return password;
  }
}

/**
 * The URL of a server the service connects to (Postgres, MongoDB, Redis, RabbitMQ): the
 * password in it must not be the documented placeholder either.
 */
export const connectionUrl = () =>
  z.url().refine((value) => !isPlaceholder(passwordOf(value)), {
    message: `its password ${PLACEHOLDER_MESSAGE}; put the real one in`,
  });

/** Settings every service reads (docs/architecture.md, "Ports and environment"), plus NODE_ENV. */
export function baseConfig(defaultPort: number) {
  return {
    NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
    PORT: port(defaultPort),
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    REGISTRY_URL: z.url().optional(),
    // The registry's shared secret, sent as a bearer token (so only token68 characters).
    REGISTRY_TOKEN: secret()
      .regex(/^[A-Za-z0-9._~+/-]+=*$/, 'letters, digits and ._~+/- only')
      .optional(),
    // How this instance tells the registry to reach it; defaults to the machine's hostname.
    SERVICE_HOST: z.string().min(1).optional(),
  };
}

/** Settings of every service that talks to RabbitMQ. */
export function rabbitmqConfig() {
  return {
    RABBITMQ_URL: connectionUrl(),
    // Prefixes exchange and queue names so several systems (an end-to-end run beside a developer's
    // `npm start`) can share one broker without stealing each other's messages. Unset in production.
    RABBITMQ_NAMESPACE: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .optional(),
    // The type consumers declare their work queues with: quorum (replicated, the default) or
    // classic, for a deployment whose queues are still classic (a queue's type cannot change).
    RABBITMQ_QUEUE_TYPE: z.enum(['quorum', 'classic']).default('quorum'),
  };
}

/** The one signing secret every service defaults to in development, so tokens work across them. */
export const DEVELOPMENT_JWT_SECRET = 'development-only-secret-never-valid-in-production-42';

export interface LoadConfigOptions {
  /**
   * Values used only when NODE_ENV=development and the variable is unset. Secrets get their
   * defaults here, so a production process without them refuses to start.
   */
  developmentDefaults?: Record<string, string>;
}

function describe(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = issue.path.map(String).join('.');
  if (name === '') return issue.message;
  if (env[name] === undefined || env[name] === '') return `${name} is required`;
  return `${name} is invalid (${issue.message})`;
}

/** Parses the environment once; every problem is named in a single line. */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): z.output<S> {
  const effective: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== ''),
  );
  if (effective.NODE_ENV === 'development') {
    for (const [name, value] of Object.entries(options.developmentDefaults ?? {})) {
      effective[name] ??= value;
    }
  }
  const result = schema.safeParse(effective);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describe(issue, effective));
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** For main.ts: a bad configuration ends the process with one clear line, not a stack trace. */
export function loadConfigOrExit<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): z.output<S> {
  try {
    return loadConfig(schema, env, options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
