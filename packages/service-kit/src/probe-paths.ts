/**
 * The probe and scrape paths every service answers (see http/health.ts). Hit every few seconds by
 * orchestrators and Prometheus, they are neither logged nor traced: they would drown what matters.
 * A module of its own, with no imports, so telemetry can read it before Express is loaded.
 */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);
