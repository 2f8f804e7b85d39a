import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crc32c } from '../src/wire/crc32c';
import { openTarget } from './support/target';
import type { MongoTarget } from './support/target';
import { RawConnection, opMsg, opQuery } from './support/rawWire';

const MORE_TO_COME = 1 << 1;

/** host and port of a plain mongodb:// URL; raw sockets cannot do TLS, SRV or auth. */
function plainAddress(uri: string): { host: string; port: number } | undefined {
  const url = new URL(uri);
  if (url.protocol !== 'mongodb:' || url.username || url.host.includes(',')) return undefined;
  if (/tls=true|ssl=true/i.test(url.search)) return undefined;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 27017) };
}

describe('the wire protocol, spoken by hand', () => {
  let target: MongoTarget;
  let connection: RawConnection;

  let address: { host: string; port: number };

  before(async () => {
    target = await openTarget('wire');
    const plain = plainAddress(target.uri);
    assert.ok(plain, `MONGODB_URL must be a plain mongodb://host:port URL for raw wire tests`);
    address = plain;
    connection = await RawConnection.open(address.host, address.port);
  });

  after(async () => {
    connection.close();
    await target.close();
  });

  test('when the CRC-32C of the standard check string is computed, then it is 0xE3069283', () => {
    assert.equal(crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
  });

  test('when a driver opens with a legacy OP_QUERY isMaster, then an OP_REPLY answers it', async () => {
    connection.send(opQuery(1, 'admin.$cmd', { isMaster: 1, helloOk: true }));

    const reply = await connection.reply();

    assert.equal(reply.opCode, 1);
    assert.equal(reply.responseTo, 1);
    assert.equal(reply.body['ismaster'], true);
    assert.equal(reply.body['helloOk'], true);
    assert.equal(reply.body['compression'], undefined);
  });

  test('when a legacy OP_QUERY carries anything but the handshake, then it is refused with code 352', async () => {
    connection.send(opQuery(2, `${target.databaseName}.$cmd`, { find: 'products' }));

    const reply = await connection.reply();

    assert.equal(reply.body['ok'], 0);
    assert.equal(reply.body['code'], 352);
  });

  test('when an OP_MSG carries a checksum, then it is accepted and answered', async () => {
    connection.send(
      opMsg(3, [{ kind: 0, documents: [{ ping: 1, $db: 'admin' }] }], { checksum: crc32c }),
    );

    const reply = await connection.reply();

    assert.equal(reply.opCode, 2013);
    assert.equal(reply.responseTo, 3);
    assert.equal(reply.body['ok'], 1);
  });

  test('when an insert sends its documents as a document sequence, then all of them are stored', async () => {
    connection.send(
      opMsg(4, [
        { kind: 0, documents: [{ insert: 'sequenced', $db: target.databaseName }] },
        { kind: 1, identifier: 'documents', documents: [{ _id: 1 }, { _id: 2 }, { _id: 3 }] },
      ]),
    );

    const reply = await connection.reply();

    assert.equal(reply.body['ok'], 1);
    assert.equal(reply.body['n'], 3);
  });

  test('when a write sets moreToCome, then no reply is sent and the write still happens', async () => {
    connection.send(
      opMsg(
        5,
        [
          {
            kind: 0,
            documents: [
              {
                insert: 'fire_and_forget',
                documents: [{ _id: 'order-1' }],
                writeConcern: { w: 0 },
                $db: target.databaseName,
              },
            ],
          },
        ],
        { flags: MORE_TO_COME },
      ),
    );
    connection.send(
      opMsg(6, [
        { kind: 0, documents: [{ find: 'fire_and_forget', filter: {}, $db: target.databaseName }] },
      ]),
    );

    const reply = await connection.reply();

    assert.equal(reply.responseTo, 6);
    const cursor = reply.body['cursor'] as { firstBatch: unknown[] };
    assert.deepEqual(cursor.firstBatch, [{ _id: 'order-1' }]);
  });

  test('when a message arrives split over several TCP segments, then it is answered once whole', async () => {
    await connection.sendInPieces(
      opMsg(7, [{ kind: 0, documents: [{ ping: 1, $db: 'admin' }] }]),
      4,
    );

    const reply = await connection.reply();

    assert.equal(reply.responseTo, 7);
    assert.equal(reply.body['ok'], 1);
  });

  test('when a client sends a corrupt document, then it is not executed and other connections are still served', async () => {
    const broken = await RawConnection.open(address.host, address.port);
    const message = opMsg(8, [{ kind: 0, documents: [{ ping: 1, $db: 'admin' }] }]);
    // Claim a body larger than the message: the BSON cannot be parsed.
    message.writeInt32LE(9999, 21);

    broken.send(message);
    // mongod may answer with an error instead of closing; either way nothing is executed.
    const outcome = await Promise.race([
      broken.closed().then(() => 'closed'),
      broken.reply().then((answer) => (answer.body['ok'] === 0 ? 'refused' : 'executed')),
    ]);
    broken.close();
    connection.send(opMsg(9, [{ kind: 0, documents: [{ ping: 1, $db: 'admin' }] }]));
    const reply = await connection.reply();

    assert.notEqual(outcome, 'executed');
    assert.equal(reply.responseTo, 9);
    assert.equal(reply.body['ok'], 1);
  });
});
