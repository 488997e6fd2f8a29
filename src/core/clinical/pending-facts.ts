import { sql } from 'kysely';
import type { KeyEncryptionService } from '../../controls/keys/keyring.ts';
import type { FactInput } from '../../model/clinical.ts';
import type { ProvenanceRecord } from '../../model/provenance.ts';
import { fixedStatement } from '../../store/fixed-statement.ts';
import type { Tx } from '../../store/store.ts';
import { storeDocumentContent } from './document-content.ts';
import { factRow, upsertCtes, type FactRow } from './fact-writer.ts';
import { writeVisits, type PendingVisit } from './pending-visits.ts';

/**
 * The facts of a batch's messages, kept until the batch writes them all at once: one statement for a whole batch
 * instead of a large one per message. What PostgreSQL spends a message is mostly starting its statements, not writing
 * their rows (docs/gateway.md, "the row floor").
 *
 * Written late, a fact ends as if written at once, because its owner is read when it is written: its patient is its
 * record's patient then (after any merge or relink earlier in the batch), and its visit, unless a registration named
 * it, is the patient's visit with that number then (one the batch registered after the fact arrived included, which
 * is what linking waiting facts does for facts written earlier). Two versions of one fact go in successive statements
 * (waves), in arrival order: an upsert may not touch a row twice.
 *
 * Whoever reads facts in the same transaction writes what is pending first (`flush`); the processor does so before a
 * savepoint, so rolling a message back never takes earlier messages' facts with it.
 */
export interface PendingGroup {
  sourceId: string;
  recordId: string;
  /** The visit the message registers; null when the facts only name a visit (looked up by number when written). */
  encounterId: string | null;
  encounterKey: string | null;
  /**
   * When the message registers the visit but its id is not known yet (the visit is pending too): the source whose visit
   * number it is, looked up when the facts are written, after the batch's visits.
   */
  visitSource?: string;
  sourceTime: Date | null;
  provenance: ProvenanceRecord;
  facts: readonly FactInput[];
  documentKeys: KeyEncryptionService;
}

/** A fact row with what a message binds once for its facts, per row here. */
interface BatchRow extends FactRow {
  item: number;
  source_id: string;
  record_id: string;
  encounter_id: string | null;
  encounter_key: string | null;
  visit_source: string | null;
  derivation: string;
  source_time: string | null;
}

interface Written {
  item: number;
  fact_id: string;
  patient_id: string;
  versioned: boolean;
}

const upsertBatch = fixedStatement((rowsJson: string) => {
  const shape = {
    // The owner as it is now: the record's patient, and the visit its number names for that patient. Both are probes
    // per row (LIMIT 1 in a lateral subquery): as a join, the planner, taking the input for 100 rows, may hash every
    // record there is on each call.
    from: sql`i CROSS JOIN LATERAL (SELECT p.patient_id FROM patient_records p WHERE p.id = i.record_id LIMIT 1) r
      LEFT JOIN LATERAL (SELECT e.id FROM encounters e WHERE i.encounter_id IS NULL AND i.visit_source IS NULL AND e.patient_id = r.patient_id
        AND e.source_key = i.encounter_key ORDER BY e.created_at LIMIT 1) enc ON true
      LEFT JOIN LATERAL (SELECT e.id FROM encounters e WHERE i.visit_source IS NOT NULL AND e.source_id = i.visit_source AND e.source_key = i.encounter_key
        LIMIT 1) reg ON true`,
    recordId: sql`i.record_id`,
    patientId: sql`r.patient_id`,
    encounterId: sql`COALESCE(i.encounter_id, reg.id, enc.id)`,
    sourceId: sql`i.source_id`,
    encounterKey: sql`i.encounter_key`,
    derivation: sql`i.derivation`,
    sourceTime: sql`i.source_time`,
    extraInput: sql`, item integer, source_id uuid, record_id uuid, encounter_id uuid, encounter_key text, visit_source uuid, derivation text, source_time timestamptz`,
    sameSource: sql` AND i.source_id = f.source_id`,
  };
  return sql<{ written: Written[] | null }>`
    WITH ${upsertCtes(rowsJson, shape)}
    SELECT json_agg(json_build_object('item', i.item, 'fact_id', f.id, 'patient_id', f.patient_id, 'versioned', v.fact_id IS NOT NULL)) AS written
    FROM i JOIN f ON f.source_id = i.source_id AND f.kind = i.kind AND f.source_key = i.source_key
    -- A join, not EXISTS per row: that scanned every new version once per fact (measured at a fifth of the statement).
    LEFT JOIN v ON v.fact_id = f.id`;
});

export class PendingFacts {
  private groups: PendingGroup[] = [];
  private visits: PendingVisit[] = [];

  add(group: PendingGroup): void {
    if (group.facts.length > 0) this.groups.push(group);
  }

  /** A visit a registration gives, written before the facts (pending-visits.ts). */
  addVisit(visit: PendingVisit): void {
    this.visits.push(visit);
  }

  /**
   * Writes every pending visit, then every pending fact, in the order the messages gave them, and seals new versions'
   * document content under the patient each fact belongs to as written.
   */
  async flush(trx: Tx): Promise<void> {
    const visits = this.visits;
    this.visits = [];
    if (visits.length > 0) await writeVisits(trx, visits);
    const groups = this.groups;
    this.groups = [];
    if (groups.length === 0) return;
    const waves: BatchRow[][] = [];
    const inputs: { fact: FactInput; group: PendingGroup; versionId: string }[] = [];
    const seen = new Map<string, number>();
    for (const group of groups) {
      for (const fact of group.facts) {
        const key = `${group.sourceId}|${fact.kind}|${fact.sourceKey}`;
        const wave = seen.get(key) ?? 0;
        seen.set(key, wave + 1);
        const item = inputs.length;
        // Added to the fact's row, not spread into a new object: spreading made building and serializing the batch
        // twice as slow (73 against 32 µs a message, measured), which took back on the worker what PostgreSQL saved.
        const row: BatchRow = Object.assign(factRow({ provenance: group.provenance }, fact, 0), {
          item,
          source_id: group.sourceId,
          record_id: group.recordId,
          encounter_id: group.encounterId,
          encounter_key: group.encounterKey,
          visit_source: group.visitSource ?? null,
          derivation: group.provenance.derivation,
          source_time: group.sourceTime?.toISOString() ?? null,
        });
        inputs.push({ fact, group, versionId: row.version_id });
        (waves[wave] ??= []).push(row);
      }
    }
    for (const rows of waves) {
      const written = (await upsertBatch(trx, JSON.stringify(rows))).rows[0]?.written ?? [];
      for (const w of written) {
        const input = inputs[w.item]!;
        if (!w.versioned || !input.fact.content) continue;
        await storeDocumentContent(trx, input.group.documentKeys, w.patient_id, w.fact_id, input.versionId, input.fact.content);
      }
    }
  }
}
