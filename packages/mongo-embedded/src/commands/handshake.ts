import { MECHANISM } from '../auth/scram';
import type { Document } from '../documents';
import {
  MAX_BSON_OBJECT_SIZE,
  MAX_MESSAGE_SIZE_BYTES,
  MAX_WRITE_BATCH_SIZE,
} from '../wire/opcodes';
import type { CommandContext, CommandHandler } from './context';

/** The MongoDB release whose wire protocol and command behaviour this server follows. */
export const SERVER_VERSION = '7.0.0';
/** Wire version 21 is MongoDB 7.0; driver 6.x supports 8 to 27. */
const MAX_WIRE_VERSION = 21;

/**
 * A standalone server's hello. No topologyVersion is sent, so drivers poll instead of
 * streaming hello; no compression is offered, so none is used; logicalSessionTimeoutMinutes
 * lets drivers attach sessions, whose lsid every command then carries and we ignore.
 */
function helloReply(context: CommandContext, legacy: boolean): Document {
  return {
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    ...(context.command['helloOk'] === true ? { helloOk: true } : {}),
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: context.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ...saslMechanisms(context),
    ok: 1,
  };
}

/** Answers the driver's question which mechanisms its user may use ("admin.name"). */
function saslMechanisms(context: CommandContext): Document {
  const asked: unknown = context.command['saslSupportedMechs'];
  const user = context.auth.user;
  if (typeof asked !== 'string' || !user || asked !== `admin.${user.username}`) return {};
  return { saslSupportedMechs: [MECHANISM] };
}

const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  gitVersion: 'mongo-embedded',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  storageEngines: ['mongo-embedded'],
  javascriptEngine: 'none',
  modules: [],
  ok: 1,
});

export const handshakeCommands: Record<string, CommandHandler> = {
  hello: (context) => helloReply(context, false),
  isMaster: (context) => helloReply(context, true),
  ismaster: (context) => helloReply(context, true),
  ping: () => ({ ok: 1 }),
  buildInfo,
  buildinfo: buildInfo,
  // Sessions carry no state here, so ending them has nothing to release.
  endSessions: () => ({ ok: 1 }),
};
