import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Message } from 'node-hl7-client';
import { buildAck, parseHl7Message } from '../../adapters/hl7v2/index.ts';
import type { MllpEvent, MllpHandler, MllpPeer } from './connection.ts';
import { startMllpServer, type MllpServer } from './server.ts';
import { adtMessage, RawMllpClient } from '../../../test/support/raw-mllp-client.ts';

const T = { timeout: 20_000 };


interface Pair {
  key: Buffer;
  cert: Buffer;
}

/** A self-signed P-256 certificate made by the openssl CLI (node:crypto cannot write X.509). */
function selfSigned(dir: string, name: string, subject: string, san: string): Pair {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', subject, '-addext', `subjectAltName=${san}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

describe('MLLP over TLS', () => {
  let dir: string;
  let serverPair: Pair;
  let clientPair: Pair;
  let server: MllpServer | undefined;
  const peers: MllpPeer[] = [];
  const handler: MllpHandler = async (payload, peer) => {
    peers.push(peer);
    const msg = parseHl7Message(payload);
    return buildAck(msg.header, { code: 'AA' }, { now: new Date(), controlId: 'T1' });
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-mllp-tls-'));
    serverPair = selfSigned(dir, 'server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
    clientPair = selfSigned(dir, 'client', '/O=North Lab/CN=vigil-test-sender', 'DNS:sender.invalid');
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a client whose certificate verifies, and tells the handler who it is', T, async () => {
    server = await startMllpServer({ port: 0, idleTimeoutMs: 5000, maxMessageBytes: 65536, handler, tls: { ...serverPair, ca: clientPair.cert, requestCert: true } });
    const client = await RawMllpClient.connect(server.port, { ca: serverPair.cert, servername: 'localhost', ...clientPair });
    client.send(adtMessage('TLS-1'));
    const [ack] = await client.waitForAcks(1);
    assert.equal(ack!.get('MSA-1'), 'AA');
    assert.equal(ack!.get('MSA-2'), 'TLS-1');
    assert.equal(peers.at(-1)!.tlsAuthorized, true);
    assert.equal(peers.at(-1)!.peerCertificateSubject, 'O=North Lab,CN=vigil-test-sender');
    assert.equal(peers.at(-1)!.address, '127.0.0.1');
    client.destroy();
    await server.close();
    server = undefined;
  });

  it('refuses, at the handshake, a client without a certificate when one is required', T, async () => {
    const events: MllpEvent[] = [];
    const before = peers.length;
    server = await startMllpServer({ port: 0, idleTimeoutMs: 5000, maxMessageBytes: 65536, handler, onEvent: (e) => events.push(e), tls: { ...serverPair, ca: clientPair.cert, requestCert: true } });
    const client = await RawMllpClient.connect(server.port, { ca: serverPair.cert, servername: 'localhost' }).catch(() => undefined);
    client?.send(adtMessage('TLS-NO-CERT'));
    if (client) assert.ok(await client.closedWithin(3000));
    assert.equal(client?.acks.length ?? 0, 0);
    assert.equal(peers.length, before, 'the handler never saw it');
    assert.ok(events.some((e) => e.type === 'tls-error'));
    assert.equal(events.filter((e) => e.type === 'connection').length, 0);
    await server.close();
    server = undefined;
  });

  it('serves node-hl7-client over TLS; without requestCert the peer is reported unauthenticated', T, async () => {
    server = await startMllpServer({ port: 0, idleTimeoutMs: 5000, maxMessageBytes: 65536, handler, tls: serverPair });
    const client = new Client({ host: '127.0.0.1', tls: { ca: serverPair.cert, servername: 'localhost' } });
    let resolveAck!: (text: string) => void;
    const acked = new Promise<string>((resolve) => (resolveAck = resolve));
    const connection = client.createConnection({ port: server.port }, async (res) => resolveAck(res.getMessage().toString()));
    await connection.sendMessage(new Message({ text: adtMessage('TLS-LIB-1') }));
    const ack = parseHl7Message(await acked);
    assert.equal(ack.get('MSA-2'), 'TLS-LIB-1');
    assert.equal(peers.at(-1)!.tlsAuthorized, false);
    assert.equal(peers.at(-1)!.peerCertificateSubject, undefined);
    await connection.close();
    client.closeAll();
    await server.close();
    server = undefined;
  });
});
