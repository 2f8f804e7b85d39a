import type { Queryable } from '@shop/postgres';

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
  const result = await tx.query(
    `INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
     ON CONFLICT (consumer, event_id) DO NOTHING`,
    [consumer, eventId, eventType],
  );
  return result.rowCount === 1;
}
