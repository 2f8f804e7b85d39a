/**
 * Less than any HTTP proxy does: each client connection gets its own connection to the upstream
 * and bytes are copied both ways, nothing parsed. The gateway benchmark runs it beside the bare
 * Node proxy, so the table tells what a Node process in the path costs by itself (its event loop
 * and socket writes) apart from what Node's HTTP server and client cost on top of that.
 *
 * Usage: node --import tsx bench/tcp-relay.ts <port> <upstream origin>
 */
import net from 'node:net';

const [port, upstream] = process.argv.slice(2);
if (!port || !upstream) throw new Error('usage: tcp-relay.ts <port> <upstream origin>');
const target = new URL(upstream);
const clients = new Set<net.Socket>();

const server = net.createServer((client) => {
  clients.add(client);
  const service = net.connect(Number(target.port), target.hostname);
  client.pipe(service);
  service.pipe(client);
  // Either side gone (closed or failed) takes the other with it.
  client.once('close', () => {
    clients.delete(client);
    service.destroy();
  });
  service.once('close', () => client.destroy());
  client.on('error', () => undefined);
  service.on('error', () => undefined);
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  server.close();
  for (const client of clients) client.destroy();
});
