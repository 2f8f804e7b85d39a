#!/usr/bin/env node
import { parseArgs } from 'node:util';
import type { Logger } from './logger';
import { start } from './server';

const USAGE =
  'usage: mongo-embedded [--port N] [--host HOST] [--data-dir DIR] [--user NAME] [--verbose]\n' +
  '  --user NAME requires SCRAM-SHA-256 authentication as NAME (authSource=admin) with the\n' +
  '  password in MONGO_EMBEDDED_PASSWORD (not an option, so it stays out of the process list)';

function fail(message: string): never {
  console.error(`mongo-embedded: ${message}\n${USAGE}`);
  process.exit(2);
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port '${text}'`);
  return port;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '27017' },
        host: { type: 'string', default: '127.0.0.1' },
        'data-dir': { type: 'string' },
        user: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }

  const password = process.env['MONGO_EMBEDDED_PASSWORD'];
  if (values.user !== undefined && !password) fail('--user needs MONGO_EMBEDDED_PASSWORD');
  const auth =
    values.user !== undefined && password ? { username: values.user, password } : undefined;

  // stdout carries only the URI line, so scripts can read it; everything else goes to stderr.
  const quiet = (): void => undefined;
  const logger: Logger = {
    debug: values.verbose ? (message) => console.error(message) : quiet,
    info: values.verbose ? (message) => console.error(message) : quiet,
    warn: (message) => console.error(message),
    error: (message) => console.error(message),
  };
  const server = await start({
    port: parsePort(values.port),
    host: values.host,
    dataDir: values['data-dir'],
    ...(auth ? { auth } : {}),
    logger,
  }).catch((error: unknown) => {
    console.error(
      `mongo-embedded: cannot start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  });
  console.log(server.uri);

  const shutdown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

void main();
