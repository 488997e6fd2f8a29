import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalBytes, canonicalJson, canonicalRecordJson, parseRecord, type AuditRecord, type JsonValue } from './canonical.ts';
import { eventLine } from './export.ts';
import { matchFhirAuditEventJson, toFhirAuditEvent } from './fhir-audit-event.ts';
import { MerkleAccumulator, leafHash } from './merkle.ts';
import { chainHash } from './sealer.ts';
import { VerifierAccumulator, fastEventLine, validTimestamp } from './verify-fast.ts';
import { seededRandom } from '../../../test/support/seeded-random.ts';

const rng = seededRandom;

const PLAIN = 'abcXYZ019 .:/-_@()+;=~';
// Text the fast path must hand to the full check: escapes, control characters, a surrogate pair, a lone surrogate.
const AWKWARD = ['"', '\\', '\n', '\t', '\u0001', '\u007f', 'é', '🩺', '\ud800', '/', ',"auditEvent":', '"}'];

function generator(seed: number, awkward: boolean) {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  const text = (max = 12): string => {
    let s = '';
    const n = Math.floor(r() * max);
    for (let i = 0; i < n; i++) s += awkward && r() < 0.15 ? pick(AWKWARD) : PLAIN[Math.floor(r() * PLAIN.length)]!;
    return s;
  };
  const maybe = (): string | null => (r() < 0.3 ? null : text());
  const json = (depth: number): JsonValue => {
    const k = r();
    if (depth > 2 || k < 0.3) return pick<JsonValue>([null, true, false, 0, -1.5, 12345678901, 1e21, text(6)]);
    if (k < 0.5) return Array.from({ length: Math.floor(r() * 4) }, () => json(depth + 1));
    // Keys in any order, including integer-like ones JavaScript moves first.
    const obj: { [key: string]: JsonValue } = {};
    for (let i = Math.floor(r() * 4); i > 0; i--) obj[pick(['b', 'a', 'zz', '_count', '10', '2', text(4)])] = json(depth + 1);
    return obj;
  };
  const ip = () => pick(['10.0.0.1', '::1', 'fe80::1%eth0', 'unknown', '2001:db8::7']);
  const time = () => new Date(Date.UTC(2000 + Math.floor(r() * 60), Math.floor(r() * 12), 1 + Math.floor(r() * 31), Math.floor(r() * 24), Math.floor(r() * 60), Math.floor(r() * 60), Math.floor(r() * 1000))).toISOString();
  return (): AuditRecord => {
    const patient = r() < 0.5 ? null : text();
    const resourceType = pick(['Patient', 'Observation', 'DocumentReference', text(8)]);
    return {
      v: 1,
      id: text(40),
      recorded_at: time(),
      action: pick(['patient.read', 'patient.search', 'auth.login', text()]),
      action_code: pick(['C', 'R', 'U', 'D', 'E'] as const),
      resource_type: resourceType,
      resource_ids: Array.from({ length: Math.floor(r() * 4) }, () => (patient !== null && r() < 0.4 ? patient : text())),
      patient_id: patient,
      actor_type: pick(['person', 'client', 'system', 'anonymous'] as const),
      actor_id: maybe(),
      actor_name: maybe(),
      actor_roles: Array.from({ length: Math.floor(r() * 3) }, () => text(8)),
      on_behalf_of: maybe(),
      outcome: pick(['success', 'denied', 'error'] as const),
      reason_code: maybe(),
      purpose_of_use: maybe(),
      break_glass: r() < 0.5,
      organization_id: maybe(),
      facility_id: maybe(),
      session_id: maybe(),
      client_ip: r() < 0.3 ? null : r() < 0.5 ? ip() : text(),
      user_agent: maybe(),
      source_system: maybe(),
      request_id: maybe(),
      query: r() < 0.6 ? null : json(0),
      details: r() < 0.6 ? null : json(0),
    };
  };
}

// The line the exporter writes for a record, with the hashes the sealer computes, and what the full check expects.
function exportedLine(record: AuditRecord, seq: number, prev: Buffer) {
  const leaf = leafHash(canonicalBytes(record));
  const chain = chainHash(prev, leaf);
  return { line: eventLine(seq, leaf, chain, canonicalRecordJson(record), canonicalJson(toFhirAuditEvent(record))), leaf, chain };
}

test('the fast path passes every exporter line of a plain record, with the hashes the full check computes', () => {
  const next = generator(1, false);
  let prev: Buffer = Buffer.alloc(32);
  for (let seq = 0; seq < 3000; seq++) {
    const record = next();
    const { line, leaf, chain } = exportedLine(record, seq, prev);
    const fast = fastEventLine(line, seq, prev);
    assert.ok(fast, `seq ${seq} should take the fast path: ${line}`);
    assert.ok(fast.leaf.equals(leaf) && fast.chain.equals(chain), `seq ${seq}: the same hashes`);
    // Not for another seq, nor after another chain hash.
    assert.equal(fastEventLine(line, seq + 1, prev), undefined);
    assert.equal(fastEventLine(line, seq, chain), undefined);
    prev = chain;
  }
});

test('records with text that needs escaping, a surrogate or a lone surrogate are left to the full check, never misread', () => {
  const next = generator(2, true);
  let taken = 0;
  for (let seq = 0; seq < 3000; seq++) {
    const record = next();
    const prev = Buffer.alloc(32, seq % 251);
    const { line, leaf, chain } = exportedLine(record, seq, prev);
    const fast = fastEventLine(line, seq, prev);
    // When it does pass (a record whose strings happen to need no escaping), the result is the full check's.
    if (fast) {
      taken++;
      assert.ok(fast.leaf.equals(leaf) && fast.chain.equals(chain));
    }
  }
  assert.ok(taken > 0 && taken < 3000, `some but not all took the fast path (${taken})`);
});

test('any one-character change to an exporter line fails the fast path', () => {
  const next = generator(3, false);
  const r = rng(33);
  const prev = Buffer.alloc(32, 7);
  for (let n = 0; n < 300; n++) {
    const record = next();
    const { line } = exportedLine(record, n, prev);
    for (let k = 0; k < 20; k++) {
      const at = Math.floor(r() * line.length);
      const kind = r();
      const ch = PLAIN[Math.floor(r() * PLAIN.length)]!;
      const changed = kind < 0.4 ? line.slice(0, at) + line.slice(at + 1) : kind < 0.7 ? line.slice(0, at) + ch + line.slice(at) : line.slice(0, at) + ch + line.slice(at + 1);
      if (changed === line) continue;
      assert.equal(fastEventLine(changed, n, prev), undefined, `a change at ${at} of ${line.length} passed`);
    }
  }
});

test('the in-place AuditEvent comparison agrees with serialising the mapping, and refuses any other text', () => {
  const next = generator(4, false);
  const r = rng(44);
  for (let n = 0; n < 3000; n++) {
    const record = next();
    const json = canonicalJson(toFhirAuditEvent(record));
    const text = `prefix${json}}`;
    assert.equal(matchFhirAuditEventJson(text, 6, record), 6 + json.length, json);
    const at = 6 + Math.floor(r() * json.length);
    const altered = text.slice(0, at) + (text[at] === 'x' ? 'y' : 'x') + text.slice(at + 1);
    const end = matchFhirAuditEventJson(altered, 6, record);
    // Either it differs before the end, or (a change in the closing brace after it) it ends where the original did.
    assert.ok(end === -1 || (at >= 6 + json.length && end === 6 + json.length), `a change at ${at} was not noticed`);
  }
});

test('the timestamp check matches parseRecord on valid and invalid timestamps', () => {
  const r = rng(5);
  const reference = (t: string) => {
    try {
      parseRecord({ ...exampleRecord(), recorded_at: t });
      return true;
    } catch {
      return false;
    }
  };
  const digits = (n: number, max: number) => String(Math.floor(r() * max)).padStart(n, '0');
  for (let i = 0; i < 20000; i++) {
    const t = `${digits(4, 10000)}-${digits(2, 14)}-${digits(2, 33)}T${digits(2, 26)}:${digits(2, 62)}:${digits(2, 62)}.${digits(3, 1000)}Z`;
    assert.equal(validTimestamp(t), reference(t), t);
  }
  for (const t of ['2024-02-29T00:00:00.000Z', '2023-02-29T00:00:00.000Z', '2026-04-31T12:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01T23:59:60.000Z', '2026-01-01T23:59:59.999Z', '2026-01-01 23:59:59.999Z', '+02026-01-01T00:00:00.000Z']) {
    assert.equal(validTimestamp(t), reference(t), t);
  }
});

test("the verifier's accumulator has merkle.ts's root at every size, also when started mid-log", () => {
  const leaves = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  for (const start of [0, 1, 7, 64, 100]) {
    const reference = new MerkleAccumulator();
    for (const leaf of leaves.slice(0, start)) reference.append(leaf);
    const fast = new VerifierAccumulator(MerkleAccumulator.fromJSON(reference.toJSON()));
    assert.ok(fast.root().equals(reference.root()), `start ${start}`);
    for (const leaf of leaves.slice(start)) {
      reference.append(leaf);
      fast.append(Buffer.from(leaf));
      assert.equal(fast.size, reference.size);
      assert.ok(fast.root().equals(reference.root()), `size ${reference.size} from ${start}`);
    }
  }
});

function exampleRecord(): AuditRecord {
  return generator(6, false)();
}
