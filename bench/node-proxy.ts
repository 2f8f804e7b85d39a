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
// The gateway's own rule for what crosses a hop, so both drop the same headers.
import { endToEndHeaders } from '../api-gateway/src/domain/hop-by-hop';

const [port, upstream] = process.argv.slice(2);
if (!port || !upstream) throw new Error('usage: node-proxy.ts <port> <upstream origin>');

const pool = new Pool(upstream, { connections: 64 });

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  pool
    .stream(
      {
        method: 'GET',
        path: req.url ?? '/',
        headers: endToEndHeaders(req.headers, (name) => name === 'host'),
      },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, endToEndHeaders(headers));
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
