/** A failed call in one short phrase for the logs: an axios error object would dump its whole config. */
export function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

/** A registry answer that was not the expected one; a 401 names the setting to fix. */
export function unexpectedAnswer(status: number, body?: unknown): Error {
  if (status === 401) {
    return new Error('the registry refused the token: REGISTRY_TOKEN is missing or wrong');
  }
  const detail = body === undefined ? '' : `: ${JSON.stringify(body)}`;
  return new Error(`the registry answered ${status}${detail}`);
}
