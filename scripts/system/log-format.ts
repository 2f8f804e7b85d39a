const COLOURS = [36, 35, 33, 32, 34, 31, 90];
const LEVEL_WIDTH = 5;

// The fields that tell what happened to what, in this order, after the message.
const SHOWN_FIELDS = [
  'orderId',
  'productId',
  'userId',
  'eventType',
  'eventId',
  'status',
  'outcome',
  'result',
  'reason',
  'attempts',
  'error',
] as const;

export function colourFor(index: number, enabled: boolean) {
  const code = COLOURS[index % COLOURS.length];
  return (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
}

/** HH:MM:SS.mmm in UTC, the same clock as the JSON lines' `time`. */
function clock(time: unknown, now: Date): string {
  const parsed = typeof time === 'string' || typeof time === 'number' ? new Date(time) : now;
  const at = Number.isNaN(parsed.getTime()) ? now : parsed;
  return at.toISOString().slice(11, 23);
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /\s/.test(text) ? JSON.stringify(text) : text;
}

/**
 * Turns a service's JSON log line into one short human line: time, level, what happened, the
 * fields that matter (order id, outcome...), then the full request id and trace id, so the ids
 * from an answer's X-Request-Id or from Jaeger can be grepped for. Anything that is not JSON (a
 * stack trace, a warning from Node) passes through with the time in front.
 */
export function formatLogLine(line: string, now: Date = new Date()): string {
  if (!line.startsWith('{')) return `${clock(undefined, now)} ${line}`;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${clock(undefined, now)} ${line}`;
  }
  const { level, msg, req, res, responseTime, requestId, trace_id: traceId, err } = entry;
  const parts = [clock(entry.time, now), String(level ?? 'info').padEnd(LEVEL_WIDTH)];
  if (req && typeof req === 'object' && res && typeof res === 'object') {
    const request = req as { method?: string; url?: string };
    const response = res as { statusCode?: number };
    parts.push(`${request.method} ${request.url} ${response.statusCode} ${responseTime}ms`);
  } else {
    parts.push(String(msg ?? ''));
  }
  for (const field of SHOWN_FIELDS) {
    if (entry[field] !== undefined && entry[field] !== null)
      parts.push(`${field}=${shown(entry[field])}`);
  }
  if (err && typeof err === 'object' && 'message' in err) parts.push(`- ${String(err.message)}`);
  if (requestId) parts.push(`request=${String(requestId)}`);
  if (traceId) parts.push(`trace=${String(traceId)}`);
  return parts.join(' ');
}
