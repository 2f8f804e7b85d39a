import type { Queryable } from '@shop/postgres';
import type { Role } from '@shop/service-kit';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface UserWithPassword extends User {
  passwordHash: string;
}

const COLUMNS = 'id, email, name, role, password_hash AS "passwordHash"';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function publicUser(user: User): User {
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** Inserts a user; a taken email surfaces as Postgres' unique violation for the caller to map. */
export async function insertUser(
  db: Queryable,
  user: { email: string; name: string; passwordHash: string; role: Role },
): Promise<User> {
  const { rows } = await db.query<User>(
    `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, $4)
     RETURNING id, email, name, role`,
    [user.email, user.name, user.passwordHash, user.role],
  );
  return rows[0]!;
}

export async function findUserByEmail(
  db: Queryable,
  email: string,
): Promise<UserWithPassword | undefined> {
  const { rows } = await db.query<UserWithPassword>(
    `SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  return rows[0];
}

export async function findUserById(db: Queryable, id: string): Promise<User | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await db.query<User>('SELECT id, email, name, role FROM users WHERE id = $1', [
    id,
  ]);
  return rows[0];
}

export async function updatePasswordHash(
  db: Queryable,
  id: string,
  passwordHash: string,
): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [
    id,
    passwordHash,
  ]);
}

/** Creates the account as admin, or turns an existing one into an admin with this password. */
export async function upsertAdmin(
  db: Queryable,
  admin: { email: string; name: string; passwordHash: string },
): Promise<User> {
  const { rows } = await db.query<User>(
    `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, 'admin')
     ON CONFLICT ((lower(email))) DO UPDATE
       SET password_hash = EXCLUDED.password_hash, role = 'admin', updated_at = now()
     RETURNING id, email, name, role`,
    [admin.email, admin.name, admin.passwordHash],
  );
  return rows[0]!;
}
