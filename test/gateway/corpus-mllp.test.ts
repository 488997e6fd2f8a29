import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Message, type Connection } from 'node-hl7-client';
import { sql } from 'kysely';
import { parseHl7Batch, parseHl7Message } from '../../src/adapters/hl7v2/index.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';

/**
 * The real-world corpus (test/fixtures/hl7, origins in SOURCES.md) sent to Vigil's own listener by a real MLLP client
 * library: every message gets exactly one ACK naming its control id, with the code the gateway's rules give it, and
 * every message is in the inbox afterwards (counted from the archive). Senders are registered first, as an operator
 * would; the files whose senders are left unregistered get AR and are kept.
 */
const CORPUS = 'test/fixtures/hl7';
const STRANGER = 'a sender nobody registered';
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.hl7')).sort();

interface Outgoing {
  file: string;
  text: string;
  controlId: string;
}

function outgoing(): Outgoing[] {
  const stranger = 'MSH|^~\\&|STRANGERAPP|STRANGERFAC|VIGIL|CENTRAL|20240101120000||ADT^A28^ADT_A05|STRANGER-1|P|2.5.1\rEVN|A28|20240101120000\rPID|1||99^^^X^MR||Doe^Pat\r';
  return [...corpus(), { file: STRANGER, text: stranger, controlId: 'STRANGER-1' }];
}

function corpus(): Outgoing[] {
  return files.flatMap((file): Outgoing[] => {
    const bytes = readFileSync(join(CORPUS, file));
    const batch = parseHl7Batch(bytes);
    if (batch.messages.length > 0) return batch.messages.map((m) => ({ file, text: m.toString(), controlId: m.header.controlId }));
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
    return [{ file, text, controlId: text.split(/[\r\n]/)[0]!.split('|')[9]! }];
  });
}

let t: TestVigil;
let client: Client;
let connection: Connection;
const acks: string[] = [];
let onAck: (() => void) | undefined;

before(async () => {
  t = await startTestVigil();
  const senders = new Map<string, string>();
  for (const m of corpus()) {
    const first = m.text.split(/[\r\n]/)[0]!.split('|');
    const msh3 = first[2]?.split('^')[0] ?? '';
    const msh4 = first[3]?.split('^')[0] ?? '';
    if (msh3 && msh4 && !senders.has(`${msh3}\u0000${msh4}`)) senders.set(`${msh3}\u0000${msh4}`, `corpus-${senders.size + 1}`);
  }
  await t.vigil.store.tx(async (trx) => {
    for (const [key, name] of senders) {
      const [msh3, msh4] = key.split('\u0000') as [string, string];
      await t.vigil.gateway.registry.add(trx, { name, kind: 'hl7v2', msh3, msh4, profile: { identifiers: { defaultAuthority: 'CORPUS' } } }, { actorName: 'test' });
    }
  });
  client = new Client({ host: '127.0.0.1' });
  connection = client.createConnection({ port: t.vigil.mllpPort()!, waitAck: true }, async (res) => {
    acks.push(res.getMessage().toString());
    onAck?.();
  });
});

after(async () => {
  await connection?.close();
  client?.closeAll();
  await t?.close();
});

describe('the real-world corpus through MLLP into the gateway', () => {
  it('answers every message exactly once with the right code, and loses none', { timeout: 180_000 }, async () => {
    const messages = outgoing();
    for (const [i, m] of messages.entries()) {
      const arrived = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ACK for message ${i} of ${m.file}`)), 10_000);
        onAck = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      await connection.sendMessage(new Message({ text: m.text }));
      await arrived;
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(acks.length, messages.length, 'one ACK per message');
    const codeOf = new Map<string, string[]>();
    acks.forEach((text, i) => {
      const ack = parseHl7Message(text);
      const m = messages[i]!;
      assert.equal(ack.get('MSA-2'), m.controlId, `${m.file}: MSA-2 names the message`);
      // Enhanced-mode senders (MSH-15/16) get the commit codes CA / CE / CR for the same outcomes.
      const code = ({ CA: 'AA', CE: 'AE', CR: 'AR' } as Record<string, string>)[ack.get('MSA-1')!] ?? ack.get('MSA-1')!;
      const list = codeOf.get(m.file) ?? [];
      list.push(code);
      codeOf.set(m.file, list);
      if (code !== 'AA') assert.equal(ack.segments('ERR').length, 1, `${m.file}: a refusal says why`);
    });
    const only = (file: string) => [...new Set(codeOf.get(file))];
    assert.deepEqual(only('mscvt_ADT-A01-01.hl7'), ['AA']);
    assert.deepEqual(only('mscvt_ORU-R01-01.hl7'), ['AA']);
    assert.deepEqual(only('mscvt_RDE-O11-01.hl7'), ['AA']);
    assert.deepEqual(only('mscvt_SIU-S12-01.hl7'), ['AR'], 'an unsupported message type is refused');
    assert.deepEqual(only('mscvt_ADT-A41-01.hl7'), ['AR'], 'an unsupported trigger event is refused');
    assert.deepEqual(only('lfh_sample_unix.hl7'), ['AR'], 'a file the parser refuses');
    assert.deepEqual(only(STRANGER), ['AR'], 'an unregistered sender');

    // None lost: every message is in the archive, once per distinct (sender, control id, content).
    const stored = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages`.execute(t.vigil.store.db);
    const repeats = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_message_events WHERE step = 'delivered-again'`.execute(t.vigil.store.db);
    assert.equal(Number(stored.rows[0]!.n) + Number(repeats.rows[0]!.n), messages.length);
    const refusedStored = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state = 'quarantined'`.execute(t.vigil.store.db);
    const refusedAcks = acks.filter((a) => !['AA', 'CA'].includes(parseHl7Message(a).get('MSA-1')!)).length;
    assert.ok(Number(refusedStored.rows[0]!.n) > 0 && Number(refusedStored.rows[0]!.n) <= refusedAcks, 'every refusal is kept in quarantine');
  });
});
