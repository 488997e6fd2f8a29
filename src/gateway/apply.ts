import { sql } from 'kysely';
import { recordKeyOf, type SourceProfile } from '../adapters/source-profile.ts';
import { recordAuditMany, SYSTEM_FACTS, type AuditEventInput } from '../controls/audit/audit-event.ts';
import { applyActiveMedicationList, inferAbsentMedications } from '../core/clinical/active-medication-list.ts';
import { afterFactUpsert, encounterValues, findEncounter, linkWaitingFacts, writeEncounter, writeFacts } from '../core/clinical/fact-writer.ts';
import { identifierKey, isMatchableSystem, waitKey } from '../core/identity/keys.ts';
import type { KeyEncryptionService } from '../controls/keys/keyring.ts';
import type { MatchEngine } from '../core/identity/match-engine.ts';
import { linkRecords, mergeRecords, unlinkRecords } from '../core/identity/merge.ts';
import { findRecord, lockIdentifiers, resolveRecord } from '../core/identity/resolve.ts';
import type { Identifier, NormalizedMessage, PatientGroup } from '../model/clinical.ts';
import type { ProvenanceRecord } from '../model/provenance.ts';
import { confidenceOf } from '../model/quality.ts';
import type { Tx } from '../store/store.ts';
import { InvariantError } from '../errors.ts';
import { recordRider } from './record-facts.ts';
import type { PendingFacts } from '../core/clinical/pending-facts.ts';
import type { BatchRecords, WantedRecord } from '../core/identity/batch-records.ts';

/**
 * Persists one normalized message in the caller's transaction: resolves each patient through the index, writes the
 * encounter and facts with provenance, applies source merges, and writes one audit event per patient the message
 * touched. When the message refers to a patient or record not yet known, nothing is written and the caller parks
 * it on what it waits for.
 */
export interface ApplyContext {
  source: { id: string; name: string };
  profile: SourceProfile;
  profileVersion: number;
  messageId: string;
  receivedAt: Date;
  transform: string;
  actor: string;
  engine: MatchEngine | null;
  /** The keyring that seals the content of documents the message carries (the process's; see document-content.ts). */
  documentKeys: KeyEncryptionService;
  /**
   * When given, the message's audit events are added here instead of being written now: the processor writes a whole
   * batch's events in one statement, in the same transaction, and only for messages that were processed.
   */
  audit?: AuditEventInput[];
  /** The caller holds the locks of every key `laneKeysOf(message)` names (see the processor). */
  lanesHeld?: boolean;
  /** Patients whose golden record the caller recomputes before it commits (see RecordArrival.refreshLater). */
  refreshLater?: Set<string>;
  /** Identifier keys (`system|value`) the caller found known to the index before the batch; others are looked up. */
  known?: ReadonlySet<string>;
  /**
   * When given, the message's facts are added here and written with the rest of the batch's (pending-facts.ts). A
   * message whose work reads facts (an active-only medication list) writes what is pending first, then its own.
   */
  pendingFacts?: PendingFacts;
  /**
   * The batch's records, looked up and locked when it started (batch-records.ts); only with `lanesHeld`. A message
   * that changes nothing on a known record then sends no statement for it.
   */
  records?: BatchRecords;
}

export type ApplyOutcome =
  /** `moved`: with merges, the patients whose records the message may have moved or changed, before and after. */
  | { kind: 'processed'; patientIds: string[]; madeKnown: string[]; facts: number; moved: string[] }
  | { kind: 'parked'; waitFor: string[]; what: 'patient' | 'merge-record'; waitingOn: Identifier[] };

/**
 * ADT events and FHIR Patient resources register people; results and orders refer to people registered before (the
 * profile decides whether an unknown one waits or is created).
 */
function registers(message: NormalizedMessage, group: PatientGroup): boolean {
  if (message.event.startsWith('ADT^')) return true;
  return message.event.startsWith('FHIR:') && (group.patient.family !== undefined || group.patient.birthDate !== undefined);
}

/**
 * Called when the parking is about to be written, outside the message's savepoint: rolling the savepoint back let go of
 * the identifier locks, so they are taken again and the references looked up once more. True when the message must
 * still wait; false when what it waits for arrived meanwhile (work it again instead of parking it).
 */
export async function stillWaiting(trx: Tx, sourceId: string, outcome: Extract<ApplyOutcome, { kind: 'parked' }>): Promise<boolean> {
  await lockIdentifiers(trx, outcome.waitingOn);
  for (const key of outcome.waitingOn) {
    const known = outcome.what === 'patient' ? await identifierKnown(trx, key) : (await findRecord(trx, sourceId, key)) !== undefined;
    if (!known) return true;
  }
  return false;
}

/**
 * The identifier locks a message may need (every matchable identifier of its patients and of its merges), as the keys
 * `lockIdentifiers` takes: the processor takes them all before the message's work, so no lock is awaited in between.
 */
export function laneKeysOf(message: NormalizedMessage): string[] {
  const all = [...message.groups.flatMap((g) => g.patient.identifiers), ...message.merges.flatMap((m) => [m.survivor, m.retired])];
  return [...new Set(all.filter((i) => isMatchableSystem(i.system)).map((i) => identifierKey(i.system, i.value)))];
}

/**
 * Which of these identifiers the index knows, from any source, as `system|value` keys: one query for a whole batch.
 * One index probe per identifier (a lateral subquery with LIMIT 1, which the planner cannot turn into a join): as a
 * semi-join it hashed every identifier in the index on each call (2.4 ms with 5,000 patients, growing with them).
 */
export async function knownIdentifiers(trx: Tx, identifiers: readonly Identifier[]): Promise<Set<string>> {
  if (identifiers.length === 0) return new Set();
  const rows = await sql<{ system: string; value: string }>`
    SELECT x.system, x.value
    FROM (SELECT DISTINCT system, value FROM unnest(${identifiers.map((i) => i.system)}::text[], ${identifiers.map((i) => i.value)}::text[]) AS u(system, value)) x
    CROSS JOIN LATERAL (SELECT 1 FROM patient_identifiers i WHERE i.system = x.system AND i.value = x.value LIMIT 1) known`.execute(trx);
  return new Set(rows.rows.map((r) => identifierKey(r.system, r.value)));
}

/** The records a message's patients are filed under, with the accounts it gives of them, as BatchRecords looks them up. */
export function recordsOf(sourceId: string, profile: SourceProfile, message: NormalizedMessage): WantedRecord[] {
  return message.groups.flatMap((g) => {
    const recordKey = recordKeyOf(profile, g.patient);
    return recordKey ? [{ sourceId, recordKey, record: g.patient }] : [];
  });
}

/** The identifiers a message refers to without registering them: the ones `applyNormalized` checks are known. */
export function referencedIdentifiers(profile: SourceProfile, message: NormalizedMessage): Identifier[] {
  if (profile.unknownPatient === 'create') return [];
  return message.groups.filter((g) => !registers(message, g)).flatMap((g) => {
    const key = recordKeyOf(profile, g.patient);
    return key ? [key] : [];
  });
}

/**
 * Writes what the batch kept for later: its records and their later source times, then the visits and facts, which
 * refer to them.
 */
export async function writeBatchPending(trx: Tx, held: Pick<ApplyContext, 'records' | 'pendingFacts'>): Promise<void> {
  await held.records?.flush(trx);
  await held.pendingFacts?.flush(trx);
}

/** Known to the index from any source: a lab's result may name a patient the hospital's ADT feed registered. */
async function identifierKnown(trx: Tx, key: Identifier): Promise<boolean> {
  return (await knownIdentifiers(trx, [key])).size > 0;
}

export async function applyNormalized(trx: Tx, ctx: ApplyContext, message: NormalizedMessage): Promise<ApplyOutcome> {
  // A merge or relink moves records between patients, so it is worked without the batch's records, which then forget
  // what it moved (the processor gives it a savepoint of its own, and calls BatchRecords.forget).
  if (message.merges.length > 0 && ctx.records) throw new InvariantError('applyNormalized: a merge must be worked without the batch’s records');
  const sourceTime = message.sourceTime ? new Date(message.sourceTime.instant) : null;
  const provenanceBase = (flags: ProvenanceRecord['flags']): ProvenanceRecord => ({
    derivation: 'asserted',
    sourceId: ctx.source.id,
    sourceName: ctx.source.name,
    messageId: ctx.messageId,
    ...(message.sourceTime ? { sourceTime: message.sourceTime } : {}),
    receivedAt: ctx.receivedAt.toISOString(),
    transform: `${ctx.transform} profile ${ctx.profileVersion}`,
    confidence: confidenceOf(flags),
    flags,
  });

  // Look before writing: a message either applies whole or waits whole.
  const waitingOn: Identifier[] = [];
  for (const group of message.groups) {
    const key = recordKeyOf(ctx.profile, group.patient);
    if (!key) continue;
    if (registers(message, group) || ctx.profile.unknownPatient === 'create') continue;
    // Known already (the usual case): no lock. Unknown: look again under the lock the record's creator takes.
    // A record filed earlier in the batch and not written yet is known too.
    if (ctx.known?.has(identifierKey(key.system, key.value)) || ctx.records?.filedHolds(key)) continue;
    if (!ctx.lanesHeld) {
      if (await identifierKnown(trx, key)) continue;
      await lockIdentifiers(trx, [key]);
    }
    if (!(await identifierKnown(trx, key))) waitingOn.push(key);
  }
  if (waitingOn.length > 0) return { kind: 'parked', waitFor: waitingOn.map((k) => waitKey(k.system, k.value)), what: 'patient', waitingOn };

  const pending = ctx.profile.medications === 'active-only' ? undefined : ctx.pendingFacts;
  // This message writes its facts now: earlier messages' pending records and facts go first.
  if (!pending) await writeBatchPending(trx, ctx);
  const patientIds = new Set<string>();
  const madeKnown: string[] = [];
  let facts = 0;
  for (const group of message.groups) {
    const key = recordKeyOf(ctx.profile, group.patient);
    if (!key) continue;
    const factProvenance = provenanceBase(message.flags);
    // Registrations own encounters; a result or order only names its visit, linked once the registration is known.
    const registeringVisit = group.encounter !== undefined && registers(message, group);
    const encounterKey = group.encounter?.sourceKey ?? null;
    // The record's statements carry the visit and facts only when they are given the visit number (RecordArrival.encounterKey).
    const rideable = !group.encounter || Boolean(encounterKey);
    const visit = group.encounter && registeringVisit && rideable ? encounterValues({ sourceId: ctx.source.id, provenance: factProvenance, facilityId: ctx.profile.facilityId ?? null }, group.encounter, sourceTime) : undefined;
    // With pending facts the visit is pending too (pending-visits.ts), so the record's statement carries nothing and
    // may be skipped when the record does not change (batch-records.ts).
    const rider = rideable && !pending ? recordRider(factProvenance, group.facts, visit, encounterKey) : undefined;
    // The record's statement looks up the visit only for whoever reads it: the rider, and facts written now (pending
    // facts look their visit up when written).
    const visitLookedUp = Boolean(group.encounter?.sourceKey) && (rider !== undefined || !pending);
    const resolution = await resolveRecord(
      trx,
      {
        sourceId: ctx.source.id,
        recordKey: key,
        record: group.patient,
        sourceTime,
        provenance: { ...provenanceBase([...message.flags, ...group.patient.flags]), position: group.position },
        messageId: ctx.messageId,
        actor: ctx.actor,
        registering: registers(message, group),
        ...(ctx.lanesHeld ? { identifiersLocked: true } : {}),
        ...(ctx.refreshLater ? { refreshLater: ctx.refreshLater } : {}),
        // The visit is looked up with the record (see below).
        ...(visitLookedUp ? { encounterKey: group.encounter!.sourceKey } : {}),
        ...(ctx.profile.facilityId ? { managingFacilityId: ctx.profile.facilityId } : {}),
        // The visit and facts are written by the statement that finds or files the record (see record-facts.ts).
        ...(rider ? { lookup: rider.lookup, insert: rider.insert } : {}),
        // With pending facts and visits, nothing needs a new record before the batch writes what it holds.
        ...(ctx.records && ctx.lanesHeld ? { batch: ctx.records, ...(pending ? { fileWithBatch: true } : {}) } : {}),
      },
      ctx.engine,
    );
    patientIds.add(resolution.patientId);
    madeKnown.push(...resolution.madeKnown);
    const target = { sourceId: ctx.source.id, recordId: resolution.recordId, patientId: resolution.patientId, provenance: factProvenance, documentKeys: ctx.documentKeys };
    const written = rider?.written();
    // The visit a result or order names, when its facts are written on their own.
    const namedVisit = async () => (!encounterKey ? null : resolution.encounterId !== undefined ? resolution.encounterId : await findEncounter(trx, resolution.patientId, encounterKey));
    /**
     * The group's facts, with the visit the message registers (undefined: the visit their number names; pending, with
     * `visitSource`: the source's visit by that number, once the batch's visits are written).
     */
    const putFacts = async (registered: string | null | undefined, visitSource?: string) => {
      if (pending) pending.add({ sourceId: ctx.source.id, recordId: resolution.recordId, encounterId: registered ?? null, encounterKey, ...(visitSource ? { visitSource } : {}), sourceTime, provenance: factProvenance, facts: group.facts, documentKeys: ctx.documentKeys });
      else await writeFacts(trx, { ...target, encounterId: registered !== undefined ? registered : await namedVisit(), encounterKey }, group.facts, sourceTime);
    };
    if (pending && visit) {
      pending.addVisit({ recordId: resolution.recordId, values: visit });
      await putFacts(null, ctx.source.id);
    } else if (written) {
      // The facts went in before the waiting ones are linked (the other way round below): the link touches only facts
      // without a visit, and these were written with theirs, so both orders end in the same rows.
      if (group.encounter && written.encounterId && resolution.factsWaiting !== false) await linkWaitingFacts(trx, resolution.patientId, group.encounter.sourceKey, written.encounterId);
      if (written.prepared && written.upserted) await afterFactUpsert(trx, target, written.prepared, written.upserted);
      else await putFacts(visit ? written.encounterId : undefined);
    } else if (group.encounter && registeringVisit) {
      const encounterId = await writeEncounter(trx, { ...target, facilityId: ctx.profile.facilityId ?? null }, group.encounter, sourceTime);
      if (resolution.factsWaiting !== false) await linkWaitingFacts(trx, resolution.patientId, group.encounter.sourceKey, encounterId);
      await putFacts(encounterId);
    } else {
      await putFacts(undefined);
    }
    if (ctx.profile.medications === 'active-only') {
      await applyActiveMedicationList(trx, { sourceId: ctx.source.id, recordId: resolution.recordId, listedAt: sourceTime, messageId: ctx.messageId, facts: group.facts });
    }
    facts += group.facts.length;
  }

  const moved = new Set<string>();
  for (const merge of message.merges) {
    if (!ctx.lanesHeld) await lockIdentifiers(trx, [merge.survivor, merge.retired]);
    const survivor = await findRecord(trx, ctx.source.id, merge.survivor);
    const retired = await findRecord(trx, ctx.source.id, merge.retired);
    if (!survivor || !retired) {
      const missing = !survivor ? merge.survivor : merge.retired;
      return { kind: 'parked', waitFor: [waitKey(missing.system, missing.value)], what: 'merge-record', waitingOn: [missing] };
    }
    const by = { actor: ctx.actor, messageId: ctx.messageId };
    moved.add(survivor.patientId).add(retired.patientId);
    if (merge.kind === 'link' || merge.kind === 'unlink') {
      const pair = { ...by, firstRecordId: survivor.id, secondRecordId: retired.id, sourceTime };
      const outcome = merge.kind === 'link' ? await linkRecords(trx, pair) : await unlinkRecords(trx, pair);
      for (const id of outcome.patientIds) patientIds.add(id);
    } else {
      patientIds.add((await mergeRecords(trx, { ...by, survivorRecordId: survivor.id, retiredRecordId: retired.id, sourceTime })).survivorPatientId);
      // The survivor's lists from the merge on now speak for the retired record's orders too.
      if (ctx.profile.medications === 'active-only') await inferAbsentMedications(trx, ctx.source.id, survivor.id);
    }
  }

  const events: AuditEventInput[] = [...patientIds].map((patientId) => ({
    action: 'gateway.message.apply',
    actionCode: 'C',
    resourceType: 'Bundle',
    resourceIds: [ctx.messageId],
    patientId,
    outcome: 'success',
    sourceSystem: ctx.source.name,
    actor: { actorType: 'system', actorId: 'vigil-gateway', actorName: ctx.actor },
    details: { event: message.event, facts, profile_version: ctx.profileVersion },
  }));
  if (ctx.audit) ctx.audit.push(...events);
  else await recordAuditMany(trx, null, SYSTEM_FACTS, events);
  // The patients of the message's own records may have changed too (their records took the full path).
  return { kind: 'processed', patientIds: [...patientIds], madeKnown, facts, moved: moved.size > 0 ? [...new Set([...moved, ...patientIds])] : [] };
}
