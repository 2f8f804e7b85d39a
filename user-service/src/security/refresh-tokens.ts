import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes: unguessable, opaque to the client, and meaningless without our table. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Only the digest is stored, so a leaked table cannot be replayed. A plain SHA-256 suffices (no
 * salt, no slow hash) because the input is already 256 bits of randomness, not a password.
 */
export function refreshTokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
