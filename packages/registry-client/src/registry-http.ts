import axios, { type AxiosInstance } from 'axios';

/**
 * The HTTP client for the registry: every status comes back as an answer (callers decide), no
 * proxy from the environment, and the shared secret on every call when one is configured.
 */
export function registryHttp(options: {
  registryUrl: string;
  registryToken: string | undefined;
  timeoutMs: number;
}): AxiosInstance {
  return axios.create({
    baseURL: options.registryUrl,
    timeout: options.timeoutMs,
    validateStatus: () => true,
    proxy: false,
    headers: options.registryToken ? { authorization: `Bearer ${options.registryToken}` } : {},
  });
}
