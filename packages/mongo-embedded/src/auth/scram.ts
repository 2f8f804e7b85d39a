import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { CommandError } from '../errors';

/*
 * The server side of SCRAM-SHA-256 (RFC 7677, RFC 5802) as mongod runs it: the client's
 * proof is checked against a stored key derived once from the password, and the server
 * proves it knows the password too. The password is used as given (no SASLprep), which is
 * what the driver does for ASCII passwords.
 */

export const MECHANISM = 'SCRAM-SHA-256';
const ITERATIONS = 15000;

export interface ScramUser {
  username: string;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

export function scramUser(username: string, password: string): ScramUser {
  const salt = randomBytes(28);
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  return {
    username,
    salt,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

function attributes(message: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of message.split(',')) {
    const separator = part.indexOf('=');
    if (separator > 0) fields.set(part.slice(0, separator), part.slice(separator + 1));
  }
  return fields;
}

function authenticationFailed(): CommandError {
  return new CommandError('AuthenticationFailed', 'Authentication failed.');
}

/** One client's exchange: the first message in, the server's challenge out, then the proof. */
export class ScramConversation {
  private readonly clientFirstBare: string;
  private readonly serverFirst: string;
  private readonly nonce: string;

  constructor(
    private readonly user: ScramUser,
    clientFirst: string,
  ) {
    if (!clientFirst.startsWith('n,,')) throw authenticationFailed();
    this.clientFirstBare = clientFirst.slice(3);
    const fields = attributes(this.clientFirstBare);
    const clientNonce = fields.get('r');
    if (fields.get('n') !== user.username || !clientNonce) throw authenticationFailed();
    this.nonce = clientNonce + randomBytes(24).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${user.salt.toString('base64')},i=${ITERATIONS}`;
  }

  get challenge(): string {
    return this.serverFirst;
  }

  /** Checks the client's proof; returns the server's final message ("v=<signature>"). */
  finish(clientFinal: string): string {
    const fields = attributes(clientFinal);
    const proof = Buffer.from(fields.get('p') ?? '', 'base64');
    if (fields.get('r') !== this.nonce || fields.get('c') !== 'biws' || proof.length !== 32) {
      throw authenticationFailed();
    }
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.user.storedKey, authMessage);
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ (signature[i] ?? 0)));
    if (!timingSafeEqual(sha256(clientKey), this.user.storedKey)) throw authenticationFailed();
    return `v=${hmac(this.user.serverKey, authMessage).toString('base64')}`;
  }
}
