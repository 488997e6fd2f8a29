import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { parseSourceProfile } from '../../src/adapters/source-profile-parse.ts';
import type { SourceProfile } from '../../src/adapters/source-profile.ts';
import { factRow, type FactTarget } from '../../src/core/clinical/fact-writer.ts';
import { normalizeRaw } from '../../src/gateway/normalize.ts';
import { SIMULATOR_SOURCES } from '../../src/simulator/sources.ts';
import type { Traffic } from './traffic.ts';

/**
 * The floor under a worker's CPU per message: what it does with a message that needs no database, measured in this
 * process on the same messages. Open the sealed raw copy (AES-256-GCM, as the archive), parse and map it with its
 * source's profile, and build and serialize the fact rows the upsert sends (content hash included). Identity
 * resolution, statements, results and the processor's bookkeeping are left out: they are the conversation with
 * PostgreSQL, which this figure is there to be compared with.
 */
export interface AdapterFloor {
  messages: number;
  passes: number;
  cpuMicrosPerMessage: number;
  factsPerMessage: number;
}

export function measureAdapterFloor(traffic: Traffic, passes = 5): AdapterFloor {
  const profiles = new Map<string, SourceProfile>(SIMULATOR_SOURCES.map((s) => [s.name, parseSourceProfile(s.profile)]));
  const key = randomBytes(32);
  const sealed = traffic.messages.map((m) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(m.text, 'utf8'), cipher.final()]);
    return { iv, data, tag: cipher.getAuthTag(), profile: profiles.get(m.source)! };
  });
  const target: FactTarget = {
    sourceId: '00000000-0000-7000-8000-000000000001',
    recordId: '00000000-0000-7000-8000-000000000002',
    patientId: '00000000-0000-7000-8000-000000000003',
    encounterId: null,
    encounterKey: null,
    provenance: { derivation: 'asserted', sourceId: 'bench', sourceName: 'bench', messageId: 'bench', receivedAt: new Date().toISOString(), transform: 'bench', confidence: 1, flags: [] },
  };
  let facts = 0;
  let bytes = 0;
  const pass = () => {
    const now = new Date();
    for (const m of sealed) {
      const decipher = createDecipheriv('aes-256-gcm', key, m.iv);
      decipher.setAuthTag(m.tag);
      const raw = Buffer.concat([decipher.update(m.data), decipher.final()]);
      const normalized = normalizeRaw(raw, 'mllp', m.profile, target.sourceId, now);
      for (const group of normalized.groups) {
        facts += group.facts.length;
        bytes += JSON.stringify(group.facts.map((f, i) => factRow(target, f, i))).length;
      }
    }
  };
  pass(); // warm-up: compiled code, not first-call costs
  facts = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < passes; i++) pass();
  const used = process.cpuUsage(before);
  if (bytes === 0) throw new Error('the adapter floor serialized nothing');
  const messages = sealed.length * passes;
  return { messages: sealed.length, passes, cpuMicrosPerMessage: (used.user + used.system) / messages, factsPerMessage: facts / messages };
}
