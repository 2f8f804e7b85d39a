import { HEADER_SIZE, MAX_MESSAGE_SIZE_BYTES } from './opcodes';

export class FramingError extends Error {}

/**
 * Splits a TCP byte stream into whole wire messages. TCP may deliver a message in
 * several chunks or several messages in one chunk, so bytes are buffered until the
 * length prefix says a message is complete.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readInt32LE(0);
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE_BYTES) {
        throw new FramingError(`invalid message length ${length}`);
      }
      if (this.pending.length < length) break;
      frames.push(this.pending.subarray(0, length));
      this.pending = this.pending.subarray(length);
    }
    return frames;
  }
}
