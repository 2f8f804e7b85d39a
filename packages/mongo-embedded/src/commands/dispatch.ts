import { CommandError } from '../errors';
import type { Document } from '../documents';
import type { Logger } from '../logger';
import { aggregateCommands } from './aggregate';
import { authCommands } from './auth';
import { catalogCommands } from './catalog';
import { withStringOrder } from '../query/compare';
import { collationOf } from './collation';
import type { CommandContext, CommandHandler } from './context';
import { cursorCommands } from './cursors';
import { explainCommand } from './explain';
import { readCommands } from './find';
import { findAndModifyCommands } from './findAndModify';
import { handshakeCommands } from './handshake';
import { indexCommands } from './indexes';
import { statusCommands } from './status';
import { writeCommands } from './write';

/**
 * mongod's answer to any use of a transaction on a standalone server. This server is a
 * standalone, and pretending to run a transaction without isolation or rollback would be worse.
 */
const transactionsUnsupported = (): never => {
  throw new CommandError(
    'IllegalOperation',
    'Transaction numbers are only allowed on a replica set member or mongos',
  );
};

/** Runs a command's handler, failures thrown; explain uses it to run the read it explains. */
const runHandler = (context: CommandContext): Document => {
  const name = Object.keys(context.command)[0] ?? '';
  const handler = handlers.get(name);
  if (!handler) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
  return handler(context);
};

/** What mongod runs before a connection has authenticated. */
const OPEN_COMMANDS = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'buildInfo',
  'buildinfo',
  'saslStart',
  'saslContinue',
  'endSessions',
]);

const handlers: ReadonlyMap<string, CommandHandler> = new Map(
  Object.entries({
    ...authCommands,
    ...statusCommands,
    explain: explainCommand(runHandler),
    ...handshakeCommands,
    ...readCommands,
    ...cursorCommands,
    ...aggregateCommands,
    ...writeCommands,
    ...findAndModifyCommands,
    ...indexCommands,
    ...catalogCommands,
    commitTransaction: transactionsUnsupported,
    abortTransaction: transactionsUnsupported,
  }),
);

/**
 * Runs one command and returns its reply document; failures become { ok: 0, ... } replies.
 * Generic fields (lsid, $clusterTime, readConcern, writeConcern, $readPreference, comment,
 * maxTimeMS) are accepted and ignored: one in-memory node has nothing to do with them.
 */
export function runCommand(context: CommandContext, logger: Logger): Document {
  const name = Object.keys(context.command)[0] ?? '';
  try {
    const handler = handlers.get(name);
    if (!handler) {
      throw new CommandError('CommandNotFound', `no such command: '${name}'`);
    }
    if (context.auth.user && !context.auth.authenticated && !OPEN_COMMANDS.has(name)) {
      throw new CommandError('Unauthorized', `Command ${name} requires authentication`);
    }
    if ('startTransaction' in context.command || 'autocommit' in context.command) {
      transactionsUnsupported();
    }
    logger.debug(`mongo-embedded: ${context.databaseName}.${name}`);
    const collation = collationOf(context);
    return withStringOrder(collation?.compare, () => handler(context));
  } catch (error) {
    if (error instanceof CommandError) {
      logger.debug(`mongo-embedded: ${name} failed: ${error.codeName}: ${error.message}`);
      return error.toReply();
    }
    logger.error(
      `mongo-embedded: ${name} crashed: ${error instanceof Error ? error.stack : String(error)}`,
    );
    return new CommandError(
      'InternalError',
      error instanceof Error ? error.message : String(error),
    ).toReply();
  }
}
