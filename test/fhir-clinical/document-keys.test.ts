import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DocumentKeysUnavailableError, readDocumentContent } from '../../src/core/clinical/document-content.ts';
import { writeFact, type FactTarget } from '../../src/core/clinical/fact-writer.ts';
import type { FactInput } from '../../src/model/clinical.ts';
import type { ClientSubject } from '../../src/controls/access/subject.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { registeredFactTarget } from './fact-target.ts';

/**
 * Document content is sealed with the keyring the writer is handed, never with one the process happens to hold: a
 * document that carries content and reaches the writer without a keyring is refused as a whole (nothing of it is
 * kept, so the message is retried), and one written with the keyring reads back through the Binary read.
 */
const T = { timeout: 60_000 };
let t: TestVigil;
let target: FactTarget;
const reader: ClientSubject = { kind: 'client', id: '01890000-0000-7000-8000-00000000d0c5', name: 'reader', scopes: ['system/*.read'] };
const facts = { requestId: 'document-keys', clientIp: null, userAgent: null, purposeOfUse: 'TREAT' };
const TEXT = 'Seen in clinic; no change to treatment.';

const letter = (sourceKey: string): FactInput => ({
  kind: 'document',
  sourceKey,
  status: 'current',
  code: { codings: [{ system: 'http://loinc.org', code: '34133-9', display: 'Summary of episode note' }] },
  effective: { instant: '2024-03-01T09:00:00.000Z', zoneFrom: 'profile', zone: 'UTC', precision: 'minute' },
  body: { title: 'Clinic letter', contentType: 'text/plain', size: TEXT.length, digest: createHash('sha256').update(TEXT).digest('hex') },
  content: { contentType: 'text/plain', data: Buffer.from(TEXT) },
  position: 'TXA',
  flags: [],
});

before(async () => {
  t = await startTestVigil();
  target = await registeredFactTarget(t, { name: 'd-ehr', msh3: 'DEHR', msh4: 'D' }, { recordKey: 'D-1', given: 'Dora' });
});
after(() => t?.close());

const stored = async (sourceKey: string) => (await t.vigil.store.db.selectFrom('clinical_facts').select('id').where('source_key', '=', sourceKey).execute()).length;

describe('document content and its keyring', () => {
  it('refuses a document with content when the writer has no keyring, and keeps nothing of it', T, async () => {
    await assert.rejects(
      t.vigil.store.tx((trx) => writeFact(trx, target, letter('LETTER-NO-KEYS'), new Date('2024-03-01T10:00:00Z'))),
      (err: unknown) => err instanceof DocumentKeysUnavailableError && err.status === 503 && !err.message.includes(TEXT),
    );
    assert.equal(await stored('LETTER-NO-KEYS'), 0, 'the fact rolled back with its content');
  });

  it('seals the content with the keyring it is given, and the Binary read opens it', T, async () => {
    const id = await t.vigil.store.tx((trx) => writeFact(trx, { ...target, documentKeys: t.vigil.keyring }, letter('LETTER-KEYS'), new Date('2024-03-01T10:00:00Z')));
    const row = await t.vigil.store.db.selectFrom('document_contents').select('ciphertext').where('fact_id', '=', id).executeTakeFirstOrThrow();
    assert.ok(!Buffer.from(row.ciphertext).includes(Buffer.from(TEXT)), 'stored sealed, not as text');
    const read = await readDocumentContent(t.vigil.store, t.vigil.keyring, reader, facts, id);
    assert.equal(read.data.toString('utf8'), TEXT);
  });
});
