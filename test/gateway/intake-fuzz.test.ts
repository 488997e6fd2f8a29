import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseHl7Batch, parseHl7Message } from '../../src/adapters/hl7v2/index.ts';
import { Hl7Intake } from '../../src/gateway/hl7-intake.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { seededRandom } from '../support/seeded-random.ts';

/**
 * A bounded mutation fuzz through the whole receive path (parse, source, map check, archive, ACK): no input crashes or
 * hangs it; every input gets an ACK; every refusal (AE/AR) is kept in quarantine with a reason a person can read.
 */
const SEEDS = ['mscvt_ADT-A01-01.hl7', 'mscvt_ORU-R01-01.hl7', 'mscvt_RDE-O11-01.hl7', 'mscvt_ADT-A40-02.hl7'];
const ROUNDS = 400;
let t: TestVigil;

function mutate(text: string, random: () => number): string {
  const at = Math.floor(random() * text.length);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  switch (Math.floor(random() * 7)) {
    case 0: return text.slice(0, at);
    case 1: return text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 20));
    case 2: return text.slice(0, at) + pick(['|', '^', '~', '\\', '&', '\r', '\n', '\u0000', '\u00ff', 'MSH|', '\\X0', '\u000b', '\u001c']) + text.slice(at);
    case 3: { const segs = text.split('\r'); const i = Math.floor(random() * segs.length); segs.splice(i, 0, segs[Math.floor(random() * segs.length)]!); return segs.join('\r'); }
    case 4: { const segs = text.split('\r'); const i = Math.floor(random() * segs.length); const j = Math.floor(random() * segs.length); [segs[i], segs[j]] = [segs[j]!, segs[i]!]; return segs.join('\r'); }
    case 5: return text.replace(/\|/g, () => (random() < 0.05 ? '' : '|'));
    default: return Array.from({ length: 1 + Math.floor(random() * 200) }, () => String.fromCharCode(Math.floor(random() * 256))).join('');
  }
}

before(async () => {
  t = await startTestVigil();
  const senders = new Set<string>();
  for (const file of SEEDS) {
    const m = parseHl7Batch(readFileSync(`test/fixtures/hl7/${file}`)).messages[0]!;
    senders.add(`${m.header.sendingApplication.namespaceId}\u0000${m.header.sendingFacility.namespaceId}`);
  }
  await t.vigil.store.tx(async (trx) => {
    let n = 0;
    for (const key of senders) {
      const [msh3, msh4] = key.split('\u0000') as [string, string];
      await t.vigil.gateway.registry.add(trx, { name: `fuzz-${++n}`, kind: 'hl7v2', msh3, msh4 }, { actorName: 'test' });
    }
  });
});

after(async () => t?.close());

describe('fuzzing the receive path', () => {
  it(`answers ${ROUNDS} mutated messages, and keeps every refusal with a reason`, { timeout: 240_000 }, async () => {
    const intake = new Hl7Intake(() => t.vigil.store, t.vigil.gateway.registry, t.vigil.gateway.archive, null);
    const texts = SEEDS.map((f) => parseHl7Batch(readFileSync(`test/fixtures/hl7/${f}`)).messages[0]!.toString() + '\r');
    const random = seededRandom(20261126);
    const codes = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const input = Buffer.from(mutate(texts[round % texts.length]!, random), 'latin1');
      const ack = await Promise.race([intake.handle(input, { address: '127.0.0.1', port: 1 }), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`round ${round} hung`)), 10_000))]);
      assert.ok(ack.length > 0, `round ${round}: an answer`);
      const code = parseHl7Message(ack).get('MSA-1')!;
      assert.ok(['AA', 'AE', 'AR', 'CA', 'CE', 'CR'].includes(code), `round ${round}: a known code`);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    assert.ok((codes.get('AR') ?? 0) + (codes.get('CR') ?? 0) > 0 && (codes.get('AA') ?? 0) + (codes.get('CA') ?? 0) > 0, 'both accepted and refused inputs were produced');
    const refusedWithoutReason = await t.vigil.store.db.selectFrom('gateway_messages').select('id').where('state', '=', 'quarantined').where((eb) => eb.or([eb('reason', 'is', null), eb('reason_code', 'is', null)])).execute();
    assert.equal(refusedWithoutReason.length, 0);
    const refusals = await t.vigil.store.db.selectFrom('gateway_messages').select('ack_code').where('ack_code', 'in', ['AE', 'AR', 'CE', 'CR']).execute();
    const quarantined = await t.vigil.store.db.selectFrom('gateway_messages').select('id').where('state', '=', 'quarantined').execute();
    assert.equal(quarantined.length, refusals.length, 'every refusal is in quarantine');
  });
});
