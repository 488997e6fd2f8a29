import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Message, type Connection } from 'node-hl7-client';
import { ackContextOf, buildAck, Hl7ParseError, parseHl7Batch, parseHl7Message, type AckError } from '../../adapters/hl7v2/index.ts';
import type { MllpHandler } from './connection.ts';
import { startMllpServer, type MllpServer } from './server.ts';

// The acceptance corpus (origins in test/fixtures/hl7/SOURCES.md), sent by a real MLLP client library.
const CORPUS = join(import.meta.dirname, '../../../test/fixtures/hl7');
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.hl7')).sort();

interface Outgoing {
  file: string;
  text: string;
  controlId: string;
  code: 'AA' | 'AR';
}

/** Splits each file into messages the way a sender would send them: one message per frame. */
function outgoing(): Outgoing[] {
  return files.flatMap((file): Outgoing[] => {
    const bytes = readFileSync(join(CORPUS, file));
    const batch = parseHl7Batch(bytes);
    if (batch.messages.length > 0) return batch.messages.map((m) => ({ file, text: m.toString(), controlId: m.header.controlId, code: 'AA' }));
    // Refused by our parser: sent whole. Its control id read naively, independently of the code under test.
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
    return [{ file, text, controlId: text.split(/[\r\n]/)[0]!.split('|')[9]!, code: 'AR' }];
  });
}

function parseErrorAck(err: Hl7ParseError): AckError {
  const code = err.reason === 'unsupported-version' ? 203 : err.reason === 'required-field-missing' ? 101 : 102;
  const field = err.location.field ? Number(err.location.field.split('-')[1]) : undefined;
  return { hl7ErrorCode: code, severity: 'E', diagnostic: err.message, ...(err.location.segmentId ? { segment: err.location.segmentId } : {}), ...(field ? { field } : {}) };
}

const handler: MllpHandler = async (payload) => {
  const options = { now: new Date(), controlId: `V${Date.now()}`, sendingApplication: 'VIGIL' };
  try {
    const msg = parseHl7Message(payload);
    return buildAck(msg.header, { code: 'AA' }, { ...options, delimiters: msg.delimiters });
  } catch (err) {
    if (!(err instanceof Hl7ParseError)) throw err;
    const ctx = ackContextOf(payload);
    return buildAck(ctx?.header, { code: 'AR', error: parseErrorAck(err) }, { ...options, ...(ctx?.delimiters ? { delimiters: ctx.delimiters } : {}) });
  }
};

describe('MLLP server with node-hl7-client sending the whole corpus', () => {
  let server: MllpServer;
  let client: Client;
  let connection: Connection;
  const received: string[] = [];
  let onAck: (() => void) | undefined;

  before(async () => {
    server = await startMllpServer({ port: 0, idleTimeoutMs: 30_000, maxMessageBytes: 1024 * 1024, handler });
    client = new Client({ host: '127.0.0.1' });
    connection = client.createConnection({ port: server.port, waitAck: true }, async (res) => {
      received.push(res.getMessage().toString());
      onAck?.();
    });
  });

  after(async () => {
    await connection.close();
    client.closeAll();
    await server.close();
  });

  it('gets exactly one ACK per message, naming its control id; AA when it parses, AR when it does not', { timeout: 60_000 }, async () => {
    const messages = outgoing();
    assert.equal(new Set(messages.map((m) => m.file)).size, 40);
    assert.equal(messages.filter((m) => m.code === 'AR').length, 3);
    for (const [i, m] of messages.entries()) {
      const arrived = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ACK for message ${i} of ${m.file}`)), 5000);
        onAck = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      await connection.sendMessage(new Message({ text: m.text }));
      await arrived;
      assert.equal(received.length, i + 1, `one ACK for message ${i} of ${m.file}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(received.length, messages.length, 'no ACK lost or duplicated');
    received.forEach((text, i) => {
      const ack = parseHl7Message(text);
      const m = messages[i]!;
      assert.equal(ack.get('MSA-2'), m.controlId, `${m.file}: MSA-2`);
      assert.equal(ack.get('MSA-1'), m.code, `${m.file}: MSA-1`);
      assert.equal(ack.get('MSH-9.1'), 'ACK');
      if (m.code === 'AR') assert.equal(ack.segments('ERR').length, 1, `${m.file}: ERR`);
    });
    assert.equal(client.totalAck(), messages.length);
  });
});
