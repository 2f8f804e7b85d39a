import { Binary } from 'bson';
import { CommandError } from '../errors';
import { MECHANISM, ScramConversation } from '../auth/scram';
import type { CommandContext, CommandHandler } from './context';
import { requiredString } from './fields';

/*
 * saslStart/saslContinue for SCRAM-SHA-256 against the one user the server was started
 * with, who lives in the admin database (authSource=admin). Each connection authenticates
 * once; until then only the handshake and authentication commands run.
 */

const CONVERSATION_ID = 1;

function payloadText(context: CommandContext): string {
  const payload: unknown = context.command['payload'];
  if (payload instanceof Binary) return Buffer.from(payload.buffer).toString('utf8');
  if (typeof payload === 'string') return Buffer.from(payload, 'base64').toString('utf8');
  throw new CommandError('BadValue', 'SASL payload must be binary');
}

function reply(text: string, done: boolean) {
  return {
    conversationId: CONVERSATION_ID,
    done,
    payload: new Binary(Buffer.from(text, 'utf8')),
    ok: 1,
  };
}

const saslStart: CommandHandler = (context) => {
  const user = context.auth.user;
  const mechanism = requiredString(context.command, 'mechanism');
  if (!user || mechanism !== MECHANISM) {
    throw new CommandError(
      'BadValue',
      `Received authentication for mechanism ${mechanism} which is not enabled`,
    );
  }
  if (context.databaseName !== 'admin') {
    throw new CommandError('AuthenticationFailed', 'Authentication failed.');
  }
  const conversation = new ScramConversation(user, payloadText(context));
  context.auth.conversation = conversation;
  return reply(conversation.challenge, false);
};

const saslContinue: CommandHandler = (context) => {
  const conversation = context.auth.conversation;
  if (!conversation) {
    throw new CommandError('ProtocolError', 'No SASL session state found');
  }
  context.auth.conversation = undefined;
  const serverFinal = conversation.finish(payloadText(context));
  context.auth.authenticated = true;
  return reply(serverFinal, true);
};

export const authCommands: Record<string, CommandHandler> = { saslStart, saslContinue };
