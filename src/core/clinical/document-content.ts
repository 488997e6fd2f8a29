import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7, validate as isUuid } from 'uuid';
import type { RequestFacts, Subject } from '../../controls/access/subject.ts';
import type { KeyEncryptionService } from '../../controls/keys/keyring.ts';
import { PatientKeys } from '../../controls/keys/patient-keys.ts';
import { NotFoundError, VigilError } from '../../errors.ts';
import type { DocumentContent } from '../../model/clinical.ts';
import type { Db, Store, Tx } from '../../store/store.ts';
import { auditedRefusals, authorizeChart, readEvent, recordRead, requireFactRead } from './chart-access.ts';
import { factHeader, loadFacts } from './fact-query.ts';
import { factVisibility } from './result-visibility.ts';

/**
 * Document content, stored apart from the fact: one `document_contents` row per fact version that carried content,
 * sealed under the data key of the patient it was filed for (crypto-shredding that key erases it) with the row id as
 * associated data. Read back only through `readDocumentContent`, which asks the decision point exactly as reading the
 * DocumentReference does and audits the disclosure in the same transaction. Nothing here logs or echoes the content.
 */
export class DocumentKeysUnavailableError extends VigilError {
  constructor() {
    // 503: the message is retried, not quarantined; the writer was called without the keyring that seals documents.
    super('document-keys-unavailable', 503, 'Document content cannot be stored: the fact writer was given no keyring for documents.');
  }
}

export class DocumentContentCorruptError extends VigilError {
  constructor() {
    super('document-content-corrupt', 500, "The stored document content does not match its digest; it was altered after it was written.");
  }
}

const purposeOf = (rowId: string) => `document-content|${rowId}`;
const digestOf = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Called by the fact writer when it has just added a version of a document that carries content. `kek` is the
 * keyring of the process writing it (the gateway's), the same one the Binary read is given.
 */
export async function storeDocumentContent(db: Db | Tx, kek: KeyEncryptionService, patientId: string, factId: string, versionId: string, content: DocumentContent): Promise<void> {
  const id = uuidv7();
  const keys = new PatientKeys(kek);
  const ciphertext = await keys.encrypt(db, patientId, content.data, purposeOf(id));
  await sql`
    INSERT INTO document_contents (id, patient_id, fact_id, fact_version_id, content_type, size_bytes, digest, ciphertext)
    VALUES (${id}, ${patientId}, ${factId}, ${versionId}, ${content.contentType}, ${content.data.length}, ${digestOf(content.data)}, ${ciphertext})
    ON CONFLICT (fact_version_id) DO NOTHING`.execute(db);
}

interface ContentRow {
  id: string;
  patient_id: string;
  content_type: string;
  size_bytes: number;
  digest: string;
  ciphertext: Uint8Array;
}

export interface DocumentContentRead {
  contentType: string;
  data: Buffer;
}

const MISSING = 'No resource of this type has this id.';

/**
 * `Binary/{id}`, where id is the DocumentReference's: the content of its current version. Decided like the
 * DocumentReference read (chart.read on the patient, same row filter and labels, a refusal audited and answered as
 * for a missing id); a withdrawn (entered-in-error) document, or one without stored content, is not found.
 */
export async function readDocumentContent(store: Store, kek: KeyEncryptionService, subject: Subject, facts: RequestFacts, id: string): Promise<DocumentContentRead> {
  return auditedRefusals(store, subject, facts, () =>
    store.tx(async (trx) => {
      const header = isUuid(id) ? await factHeader(trx, id, ['document']) : undefined;
      const access = await authorizeChart(trx, subject, header?.patientId ?? null, { resourceType: 'Binary', id });
      if (!header) throw new NotFoundError(MISSING);
      requireFactRead(access, subject, header, { resourceType: 'Binary', id });
      const [fact] = await loadFacts(trx, [id], factVisibility(access.visibility, 'f'));
      if (!fact || fact.status === 'entered-in-error') throw new NotFoundError(MISSING);
      const rows = await sql<ContentRow>`
        SELECT c.id, c.patient_id, c.content_type, c.size_bytes, c.digest, c.ciphertext
        FROM clinical_facts f JOIN document_contents c ON c.fact_version_id = f.current_version_id
        WHERE f.id = ${id}::uuid`.execute(trx);
      const row = rows.rows[0];
      if (!row) throw new NotFoundError(MISSING);
      const data = await new PatientKeys(kek).decrypt(trx, row.patient_id, row.ciphertext, purposeOf(row.id));
      if (digestOf(data) !== row.digest) throw new DocumentContentCorruptError();
      await recordRead(trx, subject, facts, access, readEvent(access, 'chart.read', 'Binary', [id], { document: `DocumentReference/${id}`, content_type: row.content_type, size: row.size_bytes }));
      return { contentType: row.content_type, data };
    }),
  );
}
