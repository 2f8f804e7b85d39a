import type { Pool, Queryable } from '@shop/postgres';

/**
 * Records that `consumer` has processed `eventId`, inside the caller's transaction. Returns false
 * if it was already recorded: the event is a redelivery and its effect must not run again.
 *
 * Inserting first (rather than checking, then inserting) also serialises two copies of one event
 * handled at once: the second insert waits on the first's row lock and then sees the conflict.
 */
export async function recordInInbox(
  tx: Queryable,
  consumer: string,
  eventId: string,
  eventType: string,
): Promise<boolean> {
  const fresh = await recordManyInInbox(tx, consumer, [{ eventId, eventType }]);
  return fresh.has(eventId);
}

/**
 * `recordInInbox` for a batch in one statement; returns the ids that were not recorded before.
 * Rows are inserted in event id order, so two replicas recording overlapping batches (a
 * redelivered event in each) wait on each other's rows in one order and cannot deadlock.
 */
export async function recordManyInInbox(
  tx: Queryable,
  consumer: string,
  entries: ReadonlyArray<{ eventId: string; eventType: string }>,
): Promise<Set<string>> {
  const { rows } = await tx.query<{ event_id: string }>(
    `INSERT INTO inbox (consumer, event_id, event_type)
     SELECT $1, event_id, event_type FROM unnest($2::text[], $3::text[]) AS e(event_id, event_type)
      ORDER BY event_id COLLATE "C"
     ON CONFLICT (consumer, event_id) DO NOTHING
     RETURNING event_id`,
    [consumer, entries.map((entry) => entry.eventId), entries.map((entry) => entry.eventType)],
  );
  return new Set(rows.map((row) => row.event_id));
}

/**
 * Forgets events `consumer` processed longer ago than `olderThanMs`, in small batches so no long
 * lock is taken. Safe once no copy of them can still arrive: retries and redeliveries happen
 * within minutes, and the retention is weeks.
 */
export async function pruneInbox(
  pool: Pick<Pool, 'query'>,
  consumer: string,
  olderThanMs: number,
  batchSize = 1000,
): Promise<number> {
  let pruned = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM inbox WHERE (consumer, event_id) IN (
         SELECT consumer, event_id FROM inbox
          WHERE consumer = $1 AND processed_at < now() - make_interval(secs => $2)
          LIMIT $3)`,
      [consumer, olderThanMs / 1000, batchSize],
    );
    pruned += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return pruned;
  }
}
