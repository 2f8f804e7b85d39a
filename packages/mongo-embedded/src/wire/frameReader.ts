import { HEADER_SIZE, MAX_MESSAGE_SIZE_BYTES } from './opcodes';

export class FramingError extends Error {}

/**
 * Splits a TCP byte stream into whole wire messages. TCP may deliver a message in many
 * chunks or several messages in one chunk. Chunks are only joined once a whole message has
 * arrived, so a large insert arriving in thousands of chunks is copied once, not once per chunk.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Buffer[] = [];
    while (this.size >= 4) {
      const length = this.nextMessageLength();
      if (this.size < length) break;
      const joined = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : this.join();
      frames.push(joined.subarray(0, length));
      const rest = joined.subarray(length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
    }
    return frames;
  }

  private nextMessageLength(): number {
    const first = this.chunks[0] as Buffer;
    const head = first.length >= 4 ? first : this.join();
    const length = head.readInt32LE(0);
    if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE_BYTES) {
      throw new FramingError(`invalid message length ${length}`);
    }
    return length;
  }

  private join(): Buffer {
    const joined = Buffer.concat(this.chunks, this.size);
    this.chunks = [joined];
    return joined;
  }
}
