import { Long } from 'bson';
import { CommandError } from '../errors';
import type { CommandHandler } from './context';
import { namespaceOf } from './context';
import { optionalNumber, requiredArray, requiredString } from './fields';

function cursorId(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  throw new CommandError('TypeMismatch', `cursor id must be a long, not ${typeof value}`);
}

const getMore: CommandHandler = (context) => {
  const { command } = context;
  const id = cursorId(command['getMore']);
  const collectionName = requiredString(command, 'collection');
  const cursor = context.cursors.next(
    id,
    namespaceOf(context, collectionName),
    optionalNumber(command, 'batchSize'),
  );
  return { cursor, ok: 1 };
};

const killCursors: CommandHandler = (context) => {
  const ids = requiredArray(context.command, 'cursors').map(cursorId);
  const { killed, notFound } = context.cursors.kill(ids);
  return {
    cursorsKilled: killed.map((id) => Long.fromNumber(id)),
    cursorsNotFound: notFound.map((id) => Long.fromNumber(id)),
    cursorsAlive: [],
    cursorsUnknown: [],
    ok: 1,
  };
};

export const cursorCommands: Record<string, CommandHandler> = { getMore, killCursors };
