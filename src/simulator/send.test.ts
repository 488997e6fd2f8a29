import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { Hl7ParseError, parseHl7Message } from '../adapters/hl7v2/index.ts';
import { mapHl7Message } from '../adapters/hl7v2/map/index.ts';
import { parseSourceProfile } from '../adapters/source-profile-parse.ts';
import { planTraffic, type SimulatedMessage } from './plan.ts';
import { sendTraffic } from './send.ts';
import { SIMULATOR_SOURCES } from './sources.ts';

/** A stand-in for Vigil's listener: frames, answers with what parsing and mapping say, and records arrivals. */
interface Fake {
  port: number;
  arrivals: { text: string; at: number }[];
  close(): Promise<void>;
}

const profiles = new Map(SIMULATOR_SOURCES.map((s) => [s.msh3, parseSourceProfile(s.profile)]));

function verdict(text: string): string {
  try {
    const msg = parseHl7Message(text, { requireTerminator: true });
    const out = mapHl7Message(msg, { profile: profiles.get(msg.header.sendingApplication.namespaceId)!, sourceId: 'fake', now: new Date() });
    return out.ok ? 'AA' : out.error.ackCode;
  } catch (err) {
    if (err instanceof Hl7ParseError) return 'AR';
    throw err;
  }
}

const fakes: Fake[] = [];
after(async () => {
  for (const f of fakes) await f.close();
});

async function fakeVigil(answer: (text: string) => string | undefined = verdict): Promise<Fake> {
  const arrivals: Fake['arrivals'] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf('\x1c\r'); end >= 0; end = pending.indexOf('\x1c\r')) {
        const text = pending.subarray(pending.indexOf(0x0b) + 1, end).toString('utf8');
        pending = pending.subarray(end + 2);
        arrivals.push({ text, at: Date.now() });
        const code = answer(text);
        const header = text.startsWith('MSH|') ? text.split('\r')[0]!.split('|') : [];
        // Like Vigil, answer in the sender's version, even one the parser refuses.
        if (code) socket.write(`\x0bMSH|^~\\&|VIGIL|VIGIL|||20240101000000||ACK|K${arrivals.length}|P|${header[11] ?? '2.5.1'}\rMSA|${code}|${header[9] ?? ''}\r\x1c\r`);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: Fake = {
    port: (server.address() as net.AddressInfo).port,
    arrivals,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  fakes.push(fake);
  return fake;
}

/** Where each planned message arrived: the n-th copy of a text is the n-th plan entry with that text. */
function arrivalIndex(plan: readonly SimulatedMessage[], arrivals: Fake['arrivals']): number[] {
  return plan.map((m, i) => {
    const nth = plan.slice(0, i).filter((p) => p.text === m.text).length;
    return arrivals.map((a, j) => (a.text === m.text ? j : -1)).filter((j) => j >= 0)[nth] ?? -1;
  });
}

describe('sendTraffic', () => {
  it('sends every message once, in plan order, and finds each ACK as the plan expects', { timeout: 30_000 }, async () => {
    const fake = await fakeVigil();
    const plan = planTraffic({ patients: 6, seed: 'send-1' });
    const codes: string[] = [];
    const result = await sendTraffic(plan, { host: '127.0.0.1', port: fake.port, onAck: (_m, code) => codes.push(code) });
    assert.deepEqual(result, { sent: plan.length, acked: Object.fromEntries(['AA', 'AE', 'AR'].map((c) => [c, plan.filter((m) => m.expectedAck === c).length])), mismatches: 0, lost: 0 });
    assert.deepEqual(fake.arrivals.map((a) => a.text), plan.map((m) => m.text));
    assert.equal(codes.length, plan.length);
  });

  it('counts an ACK other than the expected one as a mismatch', { timeout: 30_000 }, async () => {
    const fake = await fakeVigil(() => 'AA');
    const plan = planTraffic({ patients: 4, seed: 'send-2' });
    const result = await sendTraffic(plan, { host: '127.0.0.1', port: fake.port });
    assert.equal(result.mismatches, plan.filter((m) => m.expectedAck !== 'AA').length);
  });

  it('holds a silent feed for the given time while the others go on, then sends its backlog, keeping every sendAfter', { timeout: 30_000 }, async () => {
    const fake = await fakeVigil();
    const plan = planTraffic({ patients: 8, seed: 'send-3', sources: 2 });
    const result = await sendTraffic(plan, { host: '127.0.0.1', port: fake.port, silentFeed: 'sim-lab', silentSeconds: 1 });
    assert.equal(result.sent, plan.length);
    assert.equal(result.lost + result.mismatches, 0);
    const lab = fake.arrivals.filter((a) => a.text.includes('|SIMLAB|'));
    const gaps = lab.slice(1).map((a, i) => ({ from: lab[i]!.at, to: a.at }));
    const silent = gaps.find((g) => g.to - g.from >= 950);
    assert.ok(silent, 'a second without lab traffic');
    assert.ok(fake.arrivals.some((a) => !a.text.includes('|SIMLAB|') && a.at > silent.from && a.at < silent.to), 'other feeds went on');
    const at = arrivalIndex(plan, fake.arrivals);
    plan.forEach((m, i) => {
      assert.ok(at[i]! >= 0, `${m.controlId} arrived`);
      if (m.sendAfter) assert.ok(at[i]! > at[plan.findIndex((p) => p.controlId === m.sendAfter)]!, `${m.controlId} after ${m.sendAfter}`);
    });
    for (const source of ['SIMADT', 'SIMLAB']) {
      const sent = plan.filter((m) => m.text.includes(`|${source}|`)).map((m) => m.text);
      assert.deepEqual(fake.arrivals.filter((a) => a.text.includes(`|${source}|`)).map((a) => a.text), sent, `${source} in its own order`);
    }
  });

  it('resends a message whose ACK does not come, counts it lost after the last try, and goes on over a new connection', { timeout: 30_000 }, async () => {
    const plan = planTraffic({ patients: 3, seed: 'send-4', duplicateRate: 0, malformedRate: 0 });
    const silent = plan[2]!.controlId;
    const fake = await fakeVigil((text) => (text.includes(`|${silent}|`) ? undefined : verdict(text)));
    const result = await sendTraffic(plan, { host: '127.0.0.1', port: fake.port, ackTimeoutMs: 200, attempts: 2 });
    assert.equal(result.lost, 1);
    assert.equal(result.sent, plan.length);
    assert.equal(fake.arrivals.filter((a) => a.text.includes(`|${silent}|`)).length, 2);
    assert.equal(result.acked['AA'], plan.length - 1);
  });

  it('counts messages as lost when nobody listens, and sends nothing once aborted', { timeout: 30_000 }, async () => {
    const fake = await fakeVigil();
    const port = fake.port;
    await fake.close();
    const plan = planTraffic({ patients: 2, seed: 'send-5' });
    const abort = new AbortController();
    let tries = 0;
    const result = await sendTraffic(plan.slice(0, 3), { host: '127.0.0.1', port, attempts: 1, onAck: () => tries++ });
    assert.equal(result.lost, 3);
    abort.abort();
    const stopped = await sendTraffic(plan, { host: '127.0.0.1', port, signal: abort.signal });
    assert.deepEqual(stopped, { sent: 0, acked: {}, mismatches: 0, lost: 0 });
    assert.equal(tries, 0);
  });
});
