/**
 * The least a Node.js reverse proxy does: node:http in, an undici pool out, hop-by-hop headers
 * dropped, nothing else (no limits, no tokens, no metrics, no logs, no timeouts). The gateway
 * benchmark runs it as its own process beside nginx, so the gateway is also measured against
 * what Node's HTTP server and client cost by themselves on the same machine and service.
 *
 * Usage: node --import tsx bench/node-proxy.ts <port> <upstream origin>
 */
import http from 'node:http';
import { Pool } from 'undici';

const [port, upstream] = process.argv.slice(2);
if (!port || !upstream) throw new Error('usage: node-proxy.ts <port> <upstream origin>');

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);
const pool = new Pool(upstream, { connections: 64 });

function endToEnd(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  pool
    .stream(
      { method: 'GET', path: req.url ?? '/', headers: endToEnd(req.headers) },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, endToEnd(headers));
        return res;
      },
    )
    .catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  server.close();
  void pool.close();
  server.closeAllConnections();
});
