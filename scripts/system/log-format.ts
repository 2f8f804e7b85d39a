const COLOURS = [36, 35, 33, 32, 34, 31, 90];
const LEVEL_WIDTH = 5;

export function colourFor(index: number, enabled: boolean) {
  const code = COLOURS[index % COLOURS.length];
  return (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
}

/**
 * Turns a service's JSON log line into one short human line; anything that is not JSON (a stack
 * trace, a warning from Node) passes through as it is.
 */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const { level, msg, req, res, responseTime, requestId, err } = entry;
    const parts = [String(level ?? 'info').padEnd(LEVEL_WIDTH)];
    if (req && typeof req === 'object' && res && typeof res === 'object') {
      const request = req as { method?: string; url?: string };
      const response = res as { statusCode?: number };
      parts.push(`${request.method} ${request.url} ${response.statusCode} ${responseTime}ms`);
    } else {
      parts.push(String(msg ?? ''));
    }
    if (requestId) parts.push(`[${String(requestId).slice(0, 8)}]`);
    if (err && typeof err === 'object' && 'message' in err) parts.push(`- ${String(err.message)}`);
    return parts.join(' ');
  } catch {
    return line;
  }
}
