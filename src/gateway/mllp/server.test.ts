import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { buildAck, parseHl7Message } from '../../adapters/hl7v2/index.ts';
import { createLogger } from '../../observability/logger.ts';
import { CANARY_PATIENT } from '../../../test/support/canaries.ts';
import type { MllpEvent, MllpHandler } from './connection.ts';
import { startMllpServer, type MllpServer, type MllpServerOptions } from './server.ts';
import { adtMessage, delay, RawMllpClient } from '../../../test/support/raw-mllp-client.ts';

const T = { timeout: 20_000 };
const NOW = () => new Date(Date.UTC(2024, 0, 1));

/** Parses and accepts; the reference handler the tests vary. */
const acceptAll: MllpHandler = async (payload) => {
  const msg = parseHl7Message(payload);
  return buildAck(msg.header, { code: 'AA' }, { now: NOW(), controlId: `A-${msg.header.controlId}`, delimiters: msg.delimiters });
};

let servers: MllpServer[] = [];
let clients: RawMllpClient[] = [];

async function serve(options: Partial<MllpServerOptions> = {}): Promise<MllpServer> {
  const server = await startMllpServer({ port: 0, idleTimeoutMs: 10_000, maxMessageBytes: 64 * 1024, handler: acceptAll, closeTimeoutMs: 3000, closeGraceMs: 500, ...options });
  servers.push(server);
  return server;
}

async function connect(server: MllpServer): Promise<RawMllpClient> {
  const client = await RawMllpClient.connect(server.port);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  clients = [];
});

describe('MLLP server', () => {
  it('answers 20 concurrent pipelining clients, 50 messages each, every ACK in order, one handler at a time per connection', T, async () => {
    const active = new Map<number, number>();
    const seen = new Map<number, string[]>();
    const events: MllpEvent[] = [];
    const server = await serve({
      onEvent: (e) => events.push(e),
      handler: async (payload, peer) => {
        const now = (active.get(peer.port) ?? 0) + 1;
        active.set(peer.port, now);
        assert.equal(now, 1, 'a second message of one connection started before the first was answered');
        const msg = parseHl7Message(payload);
        seen.set(peer.port, [...(seen.get(peer.port) ?? []), msg.header.controlId]);
        if (msg.header.controlId.endsWith('7')) await delay(2);
        active.set(peer.port, now - 1);
        return acceptAll(payload, peer);
      },
    });
    const all = await Promise.all(Array.from({ length: 20 }, () => connect(server)));
    // The client's connect callback can run before the server's accept: wait for the server's count.
    for (let tries = 0; server.connections() < 20 && tries < 100; tries++) await delay(10);
    assert.equal(server.connections(), 20);
    all.forEach((client, c) => {
      // Everything written at once, in chunks that do not respect frame boundaries.
      const bytes = Buffer.concat(Array.from({ length: 50 }, (_, i) => Buffer.from(`\x0b${adtMessage(`C${c}-${i}`)}\x1c\r`)));
      for (let at = 0; at < bytes.length; at += 333) client.writeRaw(bytes.subarray(at, at + 333));
    });
    const acks = await Promise.all(all.map((client) => client.waitForAcks(50, 15_000)));
    acks.forEach((list, c) => {
      assert.deepEqual(
        list.map((a) => a.get('MSA-2')),
        Array.from({ length: 50 }, (_, i) => `C${c}-${i}`),
      );
      assert.ok(list.every((a) => a.get('MSA-1') === 'AA'));
    });
    await delay(50);
    assert.equal(all.reduce((n, c) => n + c.acks.length, 0), 1000, 'no extra ACKs');
    assert.ok([...seen.values()].every((ids) => ids.length === 50));
    assert.equal(events.filter((e) => e.type === 'connection').length, 20);
    assert.equal(events.filter((e) => e.type === 'frame').length, 1000);
  });

  it('keeps answering a sender that half-closes after pipelining', T, async () => {
    const client = await connect(await serve());
    for (let i = 0; i < 5; i++) client.send(adtMessage(`H-${i}`));
    client.socket.end();
    const acks = await client.waitForAcks(5).catch(() => client.acks.map((a) => parseHl7Message(a)));
    assert.deepEqual(acks.map((a) => a.get('MSA-2')), ['H-0', 'H-1', 'H-2', 'H-3', 'H-4']);
    assert.ok(await client.closedWithin(2000));
  });

  it('skips junk before a frame, counting it', T, async () => {
    const events: MllpEvent[] = [];
    const client = await connect(await serve({ onEvent: (e) => events.push(e) }));
    client.writeRaw('noise\r\n');
    client.send(adtMessage('J-1'));
    const [ack] = await client.waitForAcks(1);
    assert.equal(ack!.get('MSA-2'), 'J-1');
    assert.deepEqual(events.filter((e) => e.type === 'junk'), [{ type: 'junk', bytes: 7 }]);
  });

  it('closes an idle connection, but not one whose message is still being handled', T, async () => {
    const events: MllpEvent[] = [];
    const server = await serve({
      idleTimeoutMs: 150,
      onEvent: (e) => events.push(e),
      handler: async (payload, peer) => {
        await delay(500);
        return acceptAll(payload, peer);
      },
    });
    const quiet = await connect(server);
    const busy = await connect(server);
    busy.send(adtMessage('SLOW-1'));
    assert.ok(await quiet.closedWithin(2000), 'idle connection closed');
    const [ack] = await busy.waitForAcks(1, 3000);
    assert.equal(ack!.get('MSA-2'), 'SLOW-1');
    assert.ok(await busy.closedWithin(2000), 'and closed once idle after its ACK');
    assert.equal(events.filter((e) => e.type === 'idle-timeout').length, 2);
  });

  it('answers an oversize frame with AR and closes the connection, after answering what came before it', T, async () => {
    const events: MllpEvent[] = [];
    const max = 2000;
    let handled = 0;
    const client = await connect(
      await serve({
        maxMessageBytes: max,
        onEvent: (e) => events.push(e),
        handler: async (payload, peer) => {
          handled++;
          return acceptAll(payload, peer);
        },
      }),
    );
    client.send(adtMessage('OK-1'));
    const big = Buffer.from(`\x0b${adtMessage('BIG-1', 'x'.repeat(10 * max))}\x1c\r`);
    for (let at = 0; at < big.length; at += 500) client.writeRaw(big.subarray(at, at + 500));
    client.send(adtMessage('AFTER-1'));
    const acks = await client.waitForAcks(2).catch(() => client.acks.map((a) => parseHl7Message(a)));
    assert.equal(acks.length, 2);
    assert.deepEqual(acks.map((a) => [a.get('MSA-1'), a.get('MSA-2')]), [['AA', 'OK-1'], ['AR', 'BIG-1']]);
    assert.equal(acks[1]!.get('ERR-3'), '207');
    assert.match(acks[1]!.get('ERR-8')!, /larger than this receiver accepts \(2000 bytes\)/);
    assert.ok(await client.closedWithin(3000));
    assert.equal(handled, 1, 'neither the oversize message nor anything after it reached the handler');
    assert.equal(events.filter((e) => e.type === 'oversize').length, 1);
  });

  it('answers a malformed end block with AR and goes on reading the connection', T, async () => {
    const events: MllpEvent[] = [];
    const client = await connect(await serve({ onEvent: (e) => events.push(e) }));
    client.writeRaw(`\x0b${adtMessage('BAD-END')}\x1c\n`);
    client.send(adtMessage('NEXT-1'));
    const acks = await client.waitForAcks(2);
    assert.deepEqual(acks.map((a) => [a.get('MSA-1'), a.get('MSA-2')]), [['AR', 'BAD-END'], ['AA', 'NEXT-1']]);
    assert.deepEqual(events.filter((e) => e.type === 'malformed-end').length, 1);
  });

  it('never ACKs positively when the handler throws: AE, logged without content, and the connection goes on', T, async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } });
    const events: MllpEvent[] = [];
    const client = await connect(
      await serve({
        logger,
        onEvent: (e) => events.push(e),
        handler: async (payload, peer) => {
          if (parseHl7Message(payload).header.controlId === 'FAIL-1') throw new Error(`cannot store ${CANARY_PATIENT.family}`);
          return acceptAll(payload, peer);
        },
      }),
    );
    client.send(adtMessage('FAIL-1', `|${CANARY_PATIENT.family}^${CANARY_PATIENT.given}`));
    client.send(adtMessage('OK-2'));
    const acks = await client.waitForAcks(2);
    assert.deepEqual(acks.map((a) => [a.get('MSA-1'), a.get('MSA-2')]), [['AE', 'FAIL-1'], ['AA', 'OK-2']]);
    assert.equal(acks[0]!.get('ERR-3'), '207');
    assert.equal(acks[0]!.get('ERR-4'), 'E');
    assert.deepEqual(events.filter((e) => e.type === 'handler-error'), [{ type: 'handler-error' }]);
    await logger.flush();
    const failure = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'mllp.handler-error');
    assert.ok(failure, 'the failure is logged');
    assert.equal(failure.err_name, 'Error');
    assert.equal(failure.component, 'mllp');
    assert.ok(!lines.join('').includes(CANARY_PATIENT.family), 'no message content in the log');
  });

  it('closes the connection when the handler throws and not even MSH-10 can be read', T, async () => {
    const client = await connect(
      await serve({
        handler: async () => {
          throw new Error('unreadable');
        },
      }),
    );
    client.send('this is not HL7');
    assert.ok(await client.closedWithin(2000));
    assert.equal(client.acks.length, 0);
  });

  it('turns an answer that cannot be framed (or is not bytes) into AE', T, async () => {
    const client = await connect(
      await serve({
        handler: async (payload) => {
          const id = parseHl7Message(payload).header.controlId;
          return (id === 'FRAME-1' ? 'MSH|^~\\&\x1c' : 42) as unknown as string;
        },
      }),
    );
    client.send(adtMessage('FRAME-1'));
    client.send(adtMessage('TYPE-1'));
    const acks = await client.waitForAcks(2);
    assert.deepEqual(acks.map((a) => [a.get('MSA-1'), a.get('MSA-2')]), [['AE', 'FRAME-1'], ['AE', 'TYPE-1']]);
  });

  it('writes nothing for an empty answer (enhanced mode, MSH-15 NE) and keeps the order of the rest', T, async () => {
    const client = await connect(
      await serve({
        handler: async (payload, peer) => (parseHl7Message(payload).header.controlId === 'NE-1' ? '' : acceptAll(payload, peer)),
      }),
    );
    client.send(adtMessage('NE-1'));
    client.send(adtMessage('AL-1'));
    const acks = await client.waitForAcks(1);
    await delay(100);
    assert.equal(client.acks.length, 1);
    assert.equal(acks[0]!.get('MSA-2'), 'AL-1');
  });

  it('stops reading while a handler is pending: a flood of frames is not decoded ahead', T, async () => {
    const events: MllpEvent[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await serve({
      maxMessageBytes: 256 * 1024,
      onEvent: (e) => events.push(e),
      handler: async (payload, peer) => {
        await gate;
        return acceptAll(payload, peer);
      },
    });
    const client = await connect(server);
    const filler = 'y'.repeat(10_000);
    for (let i = 0; i < 300; i++) client.send(adtMessage(`F-${i}`, filler));
    await delay(300);
    const decodedEarly = events.filter((e) => e.type === 'frame').length;
    assert.ok(decodedEarly < 40, `${decodedEarly} of 300 frames decoded while the first was pending`);
    release();
    const acks = await client.waitForAcks(300, 15_000);
    assert.deepEqual(acks.map((a) => a.get('MSA-2')), Array.from({ length: 300 }, (_, i) => `F-${i}`));
  });

  it('refuses connections beyond maxConnections', T, async () => {
    const events: MllpEvent[] = [];
    const server = await serve({ maxConnections: 2, onEvent: (e) => events.push(e) });
    await connect(server);
    await connect(server);
    await delay(50);
    const third = await connect(server);
    assert.ok(await third.closedWithin(2000));
    assert.equal(server.connections(), 2);
    assert.equal(events.filter((e) => e.type === 'connection-refused').length, 1);
  });

  it('close() lets the message in hand finish and delivers its ACK; unstarted ones are left to the sender', T, async () => {
    let started!: () => void;
    const inHandler = new Promise<void>((resolve) => (started = resolve));
    const handled: string[] = [];
    const server = await serve({
      handler: async (payload, peer) => {
        handled.push(parseHl7Message(payload).header.controlId);
        started();
        await delay(400);
        return acceptAll(payload, peer);
      },
    });
    const client = await connect(server);
    client.send(adtMessage('SLOW-1'));
    client.send(adtMessage('QUEUED-1'));
    await inHandler;
    const t0 = Date.now();
    await server.close();
    assert.ok(Date.now() - t0 >= 300, 'close waited for the handler');
    const [ack] = await client.waitForAcks(1).catch(() => client.acks.map((a) => parseHl7Message(a)));
    assert.equal(ack?.get('MSA-2'), 'SLOW-1');
    assert.deepEqual(handled, ['SLOW-1']);
    assert.ok(await client.closedWithin(1000));
    assert.equal(server.connections(), 0);
    await assert.rejects(RawMllpClient.connect(server.port), /ECONNREFUSED/);
  });

  it('close() is bounded when a handler never finishes', T, async () => {
    const server = await serve({ closeTimeoutMs: 300, handler: () => new Promise<never>(() => undefined) });
    const client = await connect(server);
    client.send(adtMessage('STUCK-1'));
    await delay(50);
    const t0 = Date.now();
    await server.close();
    assert.ok(Date.now() - t0 < 2000);
    assert.ok(await client.closedWithin(1000));
    assert.equal(client.acks.length, 0);
  });

  it('listens on 127.0.0.1 by default and refuses nonsense options', T, async () => {
    const server = await serve();
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    assert.equal(socket.remoteAddress, '127.0.0.1');
    socket.destroy();
    await assert.rejects(startMllpServer({ port: 0, idleTimeoutMs: 0, maxMessageBytes: 10, handler: acceptAll }), RangeError);
    await assert.rejects(startMllpServer({ port: 0, idleTimeoutMs: 10, maxMessageBytes: -1, handler: acceptAll }), RangeError);
    await assert.rejects(startMllpServer({ port: 70000, idleTimeoutMs: 10, maxMessageBytes: 10, handler: acceptAll }), RangeError);
  });
});
