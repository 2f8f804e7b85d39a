import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { deserialize, serialize } from 'bson';
import type { Document } from 'bson';

/*
 * A deliberately separate, minimal wire client for tests, built from the OP_MSG spec rather
 * than from the server's own encoders, so that a mistake shared by both cannot hide.
 */

export interface RawReply {
  responseTo: number;
  opCode: number;
  body: Document;
}

export interface OpMsgSection {
  kind: 0 | 1;
  identifier?: string;
  documents: Document[];
}

export function opMsg(
  requestId: number,
  sections: OpMsgSection[],
  options: { flags?: number; checksum?: (bytes: Buffer) => number } = {},
): Buffer {
  const parts = sections.map((section) => {
    const docs = section.documents.map((doc) => Buffer.from(serialize(doc)));
    if (section.kind === 0) return Buffer.concat([Buffer.from([0]), ...docs]);
    const name = Buffer.from(`${section.identifier ?? ''}\0`, 'utf8');
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + docs.reduce((total, d) => total + d.length, 0));
    return Buffer.concat([Buffer.from([1]), size, name, ...docs]);
  });
  let flags = options.flags ?? 0;
  if (options.checksum) flags |= 1;
  const flagBytes = Buffer.alloc(4);
  flagBytes.writeUInt32LE(flags);
  const body = Buffer.concat([flagBytes, ...parts]);
  const length = 16 + body.length + (options.checksum ? 4 : 0);
  const header = Buffer.alloc(16);
  header.writeInt32LE(length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(2013, 12);
  const message = Buffer.concat([header, body]);
  if (!options.checksum) return message;
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(options.checksum(message));
  return Buffer.concat([message, sum]);
}

export function opQuery(requestId: number, fullCollectionName: string, query: Document): Buffer {
  const name = Buffer.from(`${fullCollectionName}\0`, 'utf8');
  const fixed = Buffer.alloc(4);
  const skipAndReturn = Buffer.alloc(8);
  skipAndReturn.writeInt32LE(-1, 4);
  const body = Buffer.concat([fixed, name, skipAndReturn, Buffer.from(serialize(query))]);
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(2004, 12);
  return Buffer.concat([header, body]);
}

/** One TCP connection that sends raw messages and reads whole replies in order. */
export class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiting: Array<() => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      for (const wake of this.waiting.splice(0)) wake();
    });
  }

  static open(host: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(message: Buffer): void {
    this.socket.write(message);
  }

  /** Sends a message in pieces with pauses, so that it arrives in several TCP segments. */
  async sendInPieces(message: Buffer, pieces: number): Promise<void> {
    this.socket.setNoDelay(true);
    const step = Math.ceil(message.length / pieces);
    for (let offset = 0; offset < message.length; offset += step) {
      this.socket.write(message.subarray(offset, offset + step));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Resolves when the peer closes the connection. */
  closed(): Promise<void> {
    if (this.socket.destroyed || this.socket.readableEnded) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  /** The next reply, or a rejection if none arrives within `timeoutMs`. */
  async reply(timeoutMs = 2000): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered.length < 4 || this.buffered.length < this.buffered.readInt32LE(0)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no reply');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const length = this.buffered.readInt32LE(0);
    const message = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    const opCode = message.readInt32LE(12);
    // OP_MSG: flags, then a kind-0 section; OP_REPLY: flags, cursor id, start, count.
    const bodyStart = opCode === 2013 ? 16 + 4 + 1 : 16 + 20;
    return {
      responseTo: message.readInt32LE(8),
      opCode,
      body: deserialize(message.subarray(bodyStart)),
    };
  }

  close(): void {
    this.socket.destroy();
  }
}
