import type { ScramConversation, ScramUser } from '../auth/scram';
import type { Document } from '../documents';
import type { CursorRegistry } from '../query/cursors';
import type { Store } from '../storage/store';

/** What serverStatus reports about the process. */
export interface ServerInfo {
  startedAt: Date;
  connections(): { current: number; totalCreated: number };
}

/** A connection's authentication: the server's user (if any), and how far it got. */
export interface ConnectionAuth {
  user: ScramUser | undefined;
  authenticated: boolean;
  conversation?: ScramConversation | undefined;
}

export interface CommandContext {
  /** The command document: its first field names the command. */
  command: Document;
  /** The database from $db (OP_MSG) or the namespace (OP_QUERY). */
  databaseName: string;
  store: Store;
  cursors: CursorRegistry;
  connectionId: number;
  server: ServerInfo;
  auth: ConnectionAuth;
}

/** Runs a command synchronously: no other command can interleave with it. */
export type CommandHandler = (context: CommandContext) => Document;

export function namespaceOf(context: CommandContext, collectionName: string): string {
  return `${context.databaseName}.${collectionName}`;
}
