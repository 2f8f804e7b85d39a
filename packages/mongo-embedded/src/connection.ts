import type { Socket } from 'node:net';
import type { ScramUser } from './auth/scram';
import type { ConnectionAuth, ServerInfo } from './commands/context';
import { runCommand } from './commands/dispatch';
import { CommandError } from './errors';
import type { Document } from './documents';
import type { Logger } from './logger';
import type { CursorRegistry } from './query/cursors';
import type { Store } from './storage/store';
import { FrameReader, FramingError } from './wire/frameReader';
import { readHeader } from './wire/header';
import { encodeOpMsg, parseOpMsg } from './wire/opMsg';
import { OpCode } from './wire/opcodes';
import { encodeOpReply, parseOpQuery } from './wire/opQuery';

export interface ServerState {
  store: Store;
  cursors: CursorRegistry;
  logger: Logger;
  nextRequestId: () => number;
  server: ServerInfo;
  /** The user clients must authenticate as, when the server was started with one. */
  user: ScramUser | undefined;
  /** Resolves once every acknowledged change is on disk (at once without a dataDir). */
  sync: () => Promise<void>;
}

/** A journaled write concern ({ j: true }) asks for the write to be on disk before the reply. */
function wantsJournal(command: Document): boolean {
  const concern: unknown = command['writeConcern'];
  return typeof concern === 'object' && concern !== null && (concern as Document)['j'] === true;
}

/** Commands a driver may still send as legacy OP_QUERY: only the opening handshake. */
const OP_QUERY_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);

/**
 * One client connection: reads whole messages, runs each command to completion and writes
 * its reply. Commands run synchronously, so replies leave in request order.
 */
export class Connection {
  private readonly frames = new FrameReader();
  /** Replies waiting for a sync; later replies queue behind them to keep request order. */
  private waiting: Promise<void> | undefined;
  private waitingCount = 0;
  private readonly auth: ConnectionAuth;

  constructor(
    private readonly socket: Socket,
    private readonly id: number,
    private readonly state: ServerState,
  ) {
    this.auth = { user: state.user, authenticated: false };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // A client that disconnects abruptly (ECONNRESET) is normal for pooled drivers.
    socket.on('error', (error) =>
      state.logger.debug(`mongo-embedded: connection ${id}: ${error.message}`),
    );
  }

  /**
   * Command failures are already replies; what reaches the catch is a message that cannot be
   * parsed (bad framing, invalid BSON). The stream is then out of step, so the connection is
   * closed, never the server: a confused client must not crash the process hosting it.
   */
  private receive(chunk: Buffer): void {
    try {
      for (const frame of this.frames.push(chunk)) this.handle(frame);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.state.logger.warn(`mongo-embedded: closing connection ${this.id}: ${reason}`);
      this.socket.destroy();
    }
  }

  private handle(frame: Buffer): void {
    const header = readHeader(frame);
    switch (header.opCode) {
      case OpCode.msg: {
        const request = parseOpMsg(frame);
        const reply = this.run(request.command, request.command['$db']);
        if (!request.moreToCome) {
          this.send(
            () => encodeOpMsg(this.state.nextRequestId(), header.requestId, reply),
            wantsJournal(request.command) && reply['ok'] === 1,
          );
        }
        return;
      }
      case OpCode.query: {
        const request = parseOpQuery(frame);
        const name = Object.keys(request.query)[0] ?? '';
        const reply =
          request.fullCollectionName.endsWith('.$cmd') && OP_QUERY_COMMANDS.has(name)
            ? this.run(request.query, request.fullCollectionName.slice(0, -'.$cmd'.length))
            : new CommandError(
                'UnsupportedOpQueryCommand',
                `Unsupported OP_QUERY command: ${name}. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal`,
              ).toReply();
        this.socket.write(encodeOpReply(this.state.nextRequestId(), header.requestId, reply));
        return;
      }
      default:
        // OP_COMPRESSED never arrives because hello offers no compressors; older opcodes
        // were removed from mongod in 5.1+. Either way the stream cannot be understood.
        throw new FramingError(`unsupported opcode ${header.opCode}`);
    }
  }

  /**
   * Writes a reply, after a sync of the snapshots when the write concern asks for the
   * journal. A sync failure fails the acknowledgement: the client must not believe a write
   * is durable when it is not.
   */
  private send(encode: () => Buffer, durable: boolean): void {
    if (!durable && this.waiting === undefined) {
      this.socket.write(encode());
      return;
    }
    const previous = this.waiting ?? Promise.resolve();
    this.waitingCount++;
    this.waiting = previous
      .then(() => (durable ? this.state.sync() : undefined))
      .then(
        () => {
          this.socket.write(encode());
        },
        (error: unknown) => {
          this.state.logger.error(`mongo-embedded: journaled write not synced: ${String(error)}`);
          this.socket.destroy();
        },
      )
      .finally(() => {
        if (--this.waitingCount === 0) this.waiting = undefined;
      });
  }

  private run(command: Document, databaseName: unknown): Document {
    if (typeof databaseName !== 'string') {
      return new CommandError('Location40571', 'OP_MSG requests require a $db argument').toReply();
    }
    return runCommand(
      {
        command,
        databaseName,
        store: this.state.store,
        cursors: this.state.cursors,
        connectionId: this.id,
        server: this.state.server,
        auth: this.auth,
      },
      this.state.logger,
    );
  }
}
