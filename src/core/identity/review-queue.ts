import { sql } from 'kysely';
import { decide } from '../../controls/access/pdp.ts';
import type { RequestFacts, Subject } from '../../controls/access/subject.ts';
import { recordAuditMany, type AuditEventInput } from '../../controls/audit/audit-event.ts';
import { ForbiddenError, NotFoundError, VigilError } from '../../errors.ts';
import type { PatientRecordInput } from '../../model/clinical.ts';
import { compareAddress, comparePhone } from '../../model/identity/compare.ts';
import { ADDRESS, MISSING, PHONE } from '../../model/identity/fields.ts';
import { comparableRecord, DEFAULT_MATCH_MODEL, scorePair, type MatchRecord } from '../../model/identity/index.ts';
import type { Db, Store, Tx } from '../../store/store.ts';
import { refreshGoldenRecord } from './golden-record.ts';
import { repoint } from './merge.ts';
import { livePatient, lockIdentifiers } from './resolve.ts';

/**
 * The possible-match queue: pairs the index would not link on its own (resolve.ts holds a record back from a patient
 * when an identifier conflicts, or when the matcher's weight falls between its thresholds) wait here for a person.
 * A reviewer sees both sides aligned field by field with the evidence, and decides: link (the record moves to the
 * candidate patient, its facts and encounters with it, as a source merge would move them) or not a match. A link is
 * one `person-link` event and is undone from that event alone. Every list, view and decision is audited against each
 * patient it shows or changes, in the same transaction.
 */
export type MatchState = 'open' | 'linked' | 'not-a-match';
export type ReviewDecision = 'link' | 'not-a-match';

export interface Demographics {
  family: string | null;
  given: string[];
  birthDate: string | null;
  sex: string | null;
  phone: string | null;
  address: string | null;
}

export interface ReviewIdentifier {
  system: string;
  value: string;
}

export interface ReviewRecord {
  recordId: string;
  patientId: string;
  source: { id: string; name: string };
  /** The identifier the source files this person under. */
  recordKey: ReviewIdentifier;
  linkReason: string;
  /** The source itself merged this record into another (ADT A40). */
  retired: boolean;
  sourceTime: string | null;
  receivedAt: string;
  demographics: Demographics;
  identifiers: ReviewIdentifier[];
  /** Facts and encounters that follow this record wherever it is linked. */
  facts: number;
  encounters: number;
}

/**
 * same: equal after normalization; similar: the matcher's partial agreement (nickname, typo, swapped day and month…);
 * cannot-compare: both sides have something, but one of them is not usable (sex unknown, a birth date that is no date).
 */
export type Verdict = 'same' | 'similar' | 'different' | 'one-side' | 'neither' | 'cannot-compare';
export type ComparedField = 'family' | 'given' | 'birthDate' | 'sex' | 'address' | 'phone' | 'identifier';

export interface ComparisonRow {
  field: ComparedField;
  /** For identifier rows: the identifier system (one assigning authority). */
  system?: string;
  record: string[];
  candidate: string[];
  verdict: Verdict;
  /** The matcher's level for this field (`nickname`, `transposed`, `area`…), null when it had nothing to compare. */
  level: string | null;
}

export interface EvidenceLine {
  field: string;
  level: string;
  weight: number;
}

export interface MatchEvidence {
  /** The weight stored when the pair was held (0 for pairs held by the identifier rule, which does not score). */
  weight: number;
  /** `same-identifier` when an identifier rule held the pair; null when the matcher's weight did. */
  rule: string | null;
  /** Why the pair was held for a person (identifier-conflict, given-name-disagrees…). */
  conflict: string | null;
  conflictingSystems: number | null;
  /** How many patients shared an identifier with the record when it arrived. */
  candidates: number | null;
  /** Per-field evidence as stored with the pair, when the matcher scored it. */
  stored: EvidenceLine[];
  /** The default model's score of the pair as it stands now, for every pair (rule-held ones have no stored score). */
  computed: { weight: number; outcome: string; conflict: string | null; lines: EvidenceLine[]; lower: number; upper: number };
}

export interface Reviewer {
  id: string;
  name: string | null;
}

export interface LinkView {
  eventId: string;
  at: string;
  by: Reviewer | null;
  fromPatientId: string;
  toPatientId: string;
  undone: boolean;
}

export interface PossibleMatchSummary {
  id: string;
  state: MatchState;
  weight: number;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: Reviewer | null;
  rule: string | null;
  conflict: string | null;
  record: { recordId: string; source: string; family: string | null; given: string[]; birthDate: string | null; sex: string | null };
  candidate: { patientId: string; family: string | null; given: string[]; birthDate: string | null; sex: string | null; records: number };
  agree: number;
  differ: number;
}

export interface PossibleMatchView {
  id: string;
  state: MatchState;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: Reviewer | null;
  /** The record that arrived and was held back. */
  record: ReviewRecord;
  /** Other records on the patient the record is linked to now: a link moves only the record, so these stay. */
  recordPatientOthers: ReviewRecord[];
  candidate: {
    patientId: string;
    /** The candidate after any source merge since: a link goes to this patient. */
    livePatientId: string;
    /** Vigil's current view of the candidate (what a clinician sees); the comparison rows are against this. */
    demographics: Demographics;
    identifiers: ReviewIdentifier[];
    records: ReviewRecord[];
  };
  comparison: ComparisonRow[];
  evidence: MatchEvidence;
  /** The newest link decision on this pair, whether undone or not. */
  link: LinkView | null;
}

export interface ListQuery {
  state: MatchState;
  limit: number;
  cursor?: string;
}

export interface DecisionOutcome {
  id: string;
  state: MatchState;
  link: (LinkOutcome & { eventId: string }) | null;
}

export interface LinkOutcome {
  linkEventId: string;
  recordId: string;
  fromPatientId: string;
  toPatientId: string;
  movedFacts: number;
  movedEncounters: number;
  /** Records still on the patient the record left. None left: that patient is marked merged into the target. */
  leftBehind: number;
}

export interface UnlinkOutcome {
  unlinkEventId: string;
  recordId: string;
  restoredToPatientId: string;
  leftPatientId: string;
  /** The pair the link decided, open again for review. */
  possibleMatchId: string | null;
}

// ── Moving a record, and moving it back ─────────────────────────────────────────────────────────────────────────────

/** What a `person-link` event remembers so that its undo needs nothing else. */
interface LinkEvidence {
  possibleMatch?: string;
  previousLinkReason?: string;
  /** The patient the record left kept no record and was marked merged into the target; undo clears the mark. */
  emptiedPatient?: boolean;
  match?: unknown;
  note?: string;
}

export async function recordIdentifiers(db: Db | Tx, recordId: string): Promise<ReviewIdentifier[]> {
  return db.selectFrom('patient_record_identifiers').select(['system', 'value']).where('record_id', '=', recordId).orderBy('system').orderBy('value').execute();
}

async function countWhere(db: Db | Tx, table: 'clinical_facts' | 'encounters', recordId: string): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('record_id', '=', recordId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Moves one source record (with its facts and encounters, and the identifiers it contributes) to another patient, as
 * a person decided. Takes the same identifier locks as the resolver, so a message about the same person waits until
 * the move is committed instead of linking to the patient being left.
 */
export async function linkRecord(db: Db | Tx, input: { recordId: string; toPatientId: string; actor: string; weight: number | null; evidence: LinkEvidence }): Promise<LinkOutcome> {
  await lockIdentifiers(db, await recordIdentifiers(db, input.recordId));
  const record = await db.selectFrom('patient_records').select(['id', 'patient_id', 'link_reason', 'retired_into']).where('id', '=', input.recordId).forUpdate().executeTakeFirst();
  if (!record) throw new VigilError('record-unknown', 404, 'No patient record has this id.');
  if (record.retired_into) throw new VigilError('record-retired', 409, 'The source has merged this record into another one; review that record instead.');
  const from = record.patient_id;
  const to = await livePatient(db, input.toPatientId);
  const movedFacts = await countWhere(db, 'clinical_facts', record.id);
  const movedEncounters = await countWhere(db, 'encounters', record.id);
  if (from !== to) await repoint(db, record.id, to);
  await db.updateTable('patient_records').set({ link_reason: 'person' }).where('id', '=', record.id).execute();
  const remaining = await db.selectFrom('patient_records').select((eb) => eb.fn.countAll<string>().as('n')).where('patient_id', '=', from).executeTakeFirst();
  const leftBehind = from === to ? 0 : Number(remaining?.n ?? 0);
  // A patient left with no record is an empty shell that would still come up in searches: it now points at the
  // patient its record went to, as a source merge leaves a retired patient.
  const emptiedPatient = from !== to && leftBehind === 0;
  if (emptiedPatient) await db.updateTable('patients').set({ merged_into: to, updated_at: sql`now()` }).where('id', '=', from).where('merged_into', 'is', null).execute();
  const evidence: LinkEvidence = { ...input.evidence, previousLinkReason: record.link_reason, emptiedPatient };
  const event = await db
    .insertInto('identity_link_events')
    .values({ record_id: record.id, from_patient_id: from, to_patient_id: to, decision: 'person-link', weight: input.weight, evidence: JSON.stringify(evidence), actor: input.actor, message_id: null, undoes: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  await refreshGoldenRecord(db, to);
  if (leftBehind > 0) await refreshGoldenRecord(db, from);
  return { linkEventId: String(event.id), recordId: record.id, fromPatientId: from, toPatientId: to, movedFacts, movedEncounters, leftBehind };
}

/** Undoes one person-link from its event: the record goes back to the patient it left, as it was linked before. */
export async function unlinkRecord(db: Db | Tx, input: { linkEventId: string; actor: string }): Promise<UnlinkOutcome> {
  const event = await db.selectFrom('identity_link_events').selectAll().where('id', '=', input.linkEventId).executeTakeFirst();
  if (!event || event.decision !== 'person-link' || !event.from_patient_id || !event.to_patient_id) throw new VigilError('link-event-unknown', 404, 'No link decided by a person has this id.');
  await lockIdentifiers(db, await recordIdentifiers(db, event.record_id));
  const undone = await db.selectFrom('identity_link_events').select('id').where('undoes', '=', event.id).executeTakeFirst();
  if (undone) throw new VigilError('link-already-undone', 409, 'This link was already undone.');
  const record = await db.selectFrom('patient_records').select(['id', 'patient_id']).where('id', '=', event.record_id).forUpdate().executeTakeFirstOrThrow();
  // Undoing past a later move (another link, a source merge) would undo that move too, silently.
  if (record.patient_id !== event.to_patient_id) throw new VigilError('record-moved-since', 409, 'The record has moved since this link; undo the later change first.');
  const evidence = (event.evidence ?? {}) as LinkEvidence;
  if (evidence.emptiedPatient) {
    await db.updateTable('patients').set({ merged_into: null, updated_at: sql`now()` }).where('id', '=', event.from_patient_id).where('merged_into', '=', event.to_patient_id).execute();
  }
  if (event.from_patient_id !== event.to_patient_id) await repoint(db, record.id, event.from_patient_id);
  const reason = evidence.previousLinkReason;
  if (reason === 'new-patient' || reason === 'same-identifier' || reason === 'probabilistic' || reason === 'source-merge' || reason === 'person') {
    await db.updateTable('patient_records').set({ link_reason: reason }).where('id', '=', record.id).execute();
  }
  const unlink = await db
    .insertInto('identity_link_events')
    .values({
      record_id: record.id,
      from_patient_id: event.to_patient_id,
      to_patient_id: event.from_patient_id,
      decision: 'person-unlink',
      weight: null,
      evidence: JSON.stringify({ possibleMatch: evidence.possibleMatch ?? null }),
      actor: input.actor,
      message_id: null,
      undoes: event.id,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (evidence.possibleMatch) {
    await db.updateTable('identity_possible_matches').set({ state: 'open', decided_by: null, decided_at: null }).where('id', '=', evidence.possibleMatch).where('state', '=', 'linked').execute();
  }
  await refreshGoldenRecord(db, event.from_patient_id);
  await refreshGoldenRecord(db, event.to_patient_id);
  return { unlinkEventId: String(unlink.id), recordId: record.id, restoredToPatientId: event.from_patient_id, leftPatientId: event.to_patient_id, possibleMatchId: evidence.possibleMatch ?? null };
}

// ── Reading both sides ──────────────────────────────────────────────────────────────────────────────────────────────

interface RecordRow {
  id: string;
  patient_id: string;
  source_id: string;
  source_name: string;
  record_key: string;
  link_reason: string;
  retired_into: string | null;
  source_time: Date | null;
  created_at: Date;
  demographics: PatientRecordInput;
  facts: string;
  encounters: string;
}

export async function loadRecords(db: Db | Tx, where: { ids: readonly string[] } | { patientIds: readonly string[] }): Promise<ReviewRecord[]> {
  const condition = 'ids' in where ? sql`r.id = any(${[...where.ids]}::uuid[])` : sql`r.patient_id = any(${[...where.patientIds]}::uuid[])`;
  if (('ids' in where ? where.ids : where.patientIds).length === 0) return [];
  const rows = await sql<RecordRow>`
    select r.id, r.patient_id, r.source_id, s.name as source_name, r.record_key, r.link_reason, r.retired_into, r.source_time, r.created_at,
      r.demographics,
      (select count(*) from clinical_facts f where f.record_id = r.id) as facts,
      (select count(*) from encounters e where e.record_id = r.id) as encounters
    from patient_records r join gateway_sources s on s.id = r.source_id
    where ${condition}
    order by (r.retired_into is null) desc, r.source_time desc nulls last, r.id`.execute(db);
  const ids = rows.rows.map((r) => r.id);
  const identifiers = ids.length ? await db.selectFrom('patient_record_identifiers').select(['record_id', 'system', 'value']).where('record_id', 'in', ids).orderBy('system').orderBy('value').execute() : [];
  return rows.rows.map((r) => ({
    recordId: r.id,
    patientId: r.patient_id,
    source: { id: r.source_id, name: r.source_name },
    recordKey: splitKey(r.record_key),
    linkReason: r.link_reason,
    retired: r.retired_into !== null,
    sourceTime: r.source_time?.toISOString() ?? null,
    receivedAt: r.created_at.toISOString(),
    demographics: recordDemographics(r.demographics),
    identifiers: identifiers.filter((i) => i.record_id === r.id).map((i) => ({ system: i.system, value: i.value })),
    facts: Number(r.facts),
    encounters: Number(r.encounters),
  }));
}

function splitKey(key: string): ReviewIdentifier {
  const at = key.lastIndexOf('|');
  return at < 0 ? { system: '', value: key } : { system: key.slice(0, at), value: key.slice(at + 1) };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function recordDemographics(d: PatientRecordInput): Demographics {
  const a = d.address;
  const address = a ? [a.line, a.city, a.state, a.postalCode, a.country].map(text).filter((x): x is string => x !== null).join(', ') : '';
  return {
    family: text(d.family),
    given: Array.isArray(d.given) ? d.given.filter((g) => text(g) !== null) : [],
    birthDate: text(d.birthDate),
    sex: text(d.sex),
    phone: text(d.phone),
    address: address || null,
  };
}

interface PatientRow {
  id: string;
  family_name: string | null;
  given_names: string | null;
  birth_date: string | null;
  sex: string | null;
  phone: string | null;
  address_line: string | null;
  address_city: string | null;
  address_postal_code: string | null;
}

async function loadPatients(db: Db | Tx, ids: readonly string[]): Promise<Map<string, { demographics: Demographics; match: Omit<MatchRecord, 'identifiers'> & { address: { line?: string; city?: string; postalCode?: string } } }>> {
  if (ids.length === 0) return new Map();
  const rows: PatientRow[] = await db
    .selectFrom('patients')
    .select(['id', 'family_name', 'given_names', 'birth_date', 'sex', 'phone', 'address_line', 'address_city', 'address_postal_code'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(
    rows.map((p) => {
      const given = (p.given_names ?? '').split(/\s+/).filter(Boolean);
      const address = [p.address_line, p.address_city, p.address_postal_code].map(text).filter((x): x is string => x !== null).join(', ');
      const match = {
        id: p.id,
        ...(p.family_name ? { family: p.family_name } : {}),
        given,
        ...(p.birth_date ? { birthDate: p.birth_date } : {}),
        ...(p.sex ? { sex: p.sex as MatchRecord['sex'] } : {}),
        ...(p.phone ? { phone: p.phone } : {}),
        address: { ...(p.address_line ? { line: p.address_line } : {}), ...(p.address_city ? { city: p.address_city } : {}), ...(p.address_postal_code ? { postalCode: p.address_postal_code } : {}) },
      };
      return [p.id, { demographics: { family: text(p.family_name), given, birthDate: text(p.birth_date), sex: text(p.sex), phone: text(p.phone), address: address || null }, match }];
    }),
  );
}

async function patientIdentifiers(db: Db | Tx, patientIds: readonly string[]): Promise<Map<string, ReviewIdentifier[]>> {
  const out = new Map<string, ReviewIdentifier[]>();
  if (patientIds.length === 0) return out;
  const rows = await db.selectFrom('patient_identifiers').select(['patient_id', 'system', 'value']).where('patient_id', 'in', [...patientIds]).orderBy('system').orderBy('value').execute();
  for (const r of rows) out.set(r.patient_id, [...(out.get(r.patient_id) ?? []), { system: r.system, value: r.value }]);
  return out;
}

// ── Comparing ───────────────────────────────────────────────────────────────────────────────────────────────────────

const GIVEN_VERDICT: Record<string, Verdict> = { exact: 'same', nickname: 'similar', similar: 'similar', partial: 'similar', disagree: 'different' };
const FAMILY_VERDICT: Record<string, Verdict> = { exact: 'same', similar: 'similar', part: 'similar', disagree: 'different' };
const BIRTH_VERDICT: Record<string, Verdict> = { exact: 'same', transposed: 'similar', near: 'similar', disagree: 'different' };
const SEX_VERDICT: Record<string, Verdict> = { agree: 'same', disagree: 'different' };
const PHONE_LEVELS = Object.keys(PHONE) as (keyof typeof PHONE)[];
const ADDRESS_LEVELS = Object.keys(ADDRESS) as (keyof typeof ADDRESS)[];
const PHONE_VERDICT: Record<string, Verdict> = { exact: 'same', similar: 'similar', disagree: 'different' };
const ADDRESS_VERDICT: Record<string, Verdict> = { exact: 'same', area: 'similar', disagree: 'different' };

interface Compared {
  rows: ComparisonRow[];
  computed: MatchEvidence['computed'];
}

const values = (v: string | null) => (v === null ? [] : [v]);

function compareSides(record: { demographics: Demographics; identifiers: ReviewIdentifier[]; match: MatchRecord }, candidate: { demographics: Demographics; identifiers: ReviewIdentifier[]; match: MatchRecord }): Compared {
  const a = comparableRecord(record.match);
  const b = comparableRecord(candidate.match);
  const score = scorePair(a, b, DEFAULT_MATCH_MODEL);
  const levelOf = (field: string) => score.evidence.find((e) => e.field === field)?.level ?? 'missing';
  const row = (field: ComparedField, left: string[], right: string[], level: string, verdicts: Record<string, Verdict>): ComparisonRow => {
    const verdict: Verdict = level !== 'missing' ? (verdicts[level] ?? 'different') : left.length > 0 && right.length > 0 ? 'cannot-compare' : left.length > 0 || right.length > 0 ? 'one-side' : 'neither';
    return { field, record: left, candidate: right, verdict, level: level === 'missing' ? null : level };
  };
  const phone = comparePhone(a, b);
  const address = compareAddress(a, b);
  const rd = record.demographics;
  const cd = candidate.demographics;
  const fullName = (d: Demographics) => (d.given.length ? [d.given.join(' ')] : []);
  const rows: ComparisonRow[] = [
    row('family', values(rd.family), values(cd.family), levelOf('family'), FAMILY_VERDICT),
    row('given', fullName(rd), fullName(cd), levelOf('given'), GIVEN_VERDICT),
    row('birthDate', values(rd.birthDate), values(cd.birthDate), levelOf('birthDate'), BIRTH_VERDICT),
    row('sex', values(rd.sex), values(cd.sex), levelOf('sex'), SEX_VERDICT),
    row('address', values(rd.address), values(cd.address), address === MISSING ? 'missing' : ADDRESS_LEVELS[address]!, ADDRESS_VERDICT),
    row('phone', values(rd.phone), values(cd.phone), phone === MISSING ? 'missing' : PHONE_LEVELS[phone]!, PHONE_VERDICT),
  ];
  const systems = [...new Set([...record.identifiers, ...candidate.identifiers].map((i) => i.system))].sort();
  for (const system of systems) {
    const left = record.identifiers.filter((i) => i.system === system).map((i) => i.value);
    const right = candidate.identifiers.filter((i) => i.system === system).map((i) => i.value);
    const shared = left.some((v) => right.includes(v));
    const verdict: Verdict = left.length && right.length ? (shared ? 'same' : 'different') : 'one-side';
    rows.push({ field: 'identifier', system, record: left, candidate: right, verdict, level: verdict === 'same' ? 'shared' : verdict === 'different' ? 'conflict' : null });
  }
  // The matcher reports one identifier level, `conflict` whenever any issuer disagrees, even when another issuer's
  // number is shared and outweighs it: say both, or a large positive weight reads as a conflict.
  const identifierRows = rows.filter((r) => r.field === 'identifier');
  const both = identifierRows.some((r) => r.verdict === 'same') && identifierRows.some((r) => r.verdict === 'different');
  const lines = score.evidence.map((e) => ({ field: e.field, level: e.field === 'identifier' && both ? 'shared-and-conflict' : e.level, weight: e.weight }));
  return {
    rows,
    computed: { weight: score.weight, outcome: score.outcome, conflict: score.conflict ?? null, lines, lower: DEFAULT_MATCH_MODEL.lower, upper: DEFAULT_MATCH_MODEL.upper },
  };
}

function recordMatch(recordId: string, demographics: PatientRecordInput, identifiers: ReviewIdentifier[]): MatchRecord {
  const a = demographics.address;
  return {
    id: recordId,
    identifiers,
    ...(text(demographics.family) ? { family: demographics.family! } : {}),
    given: Array.isArray(demographics.given) ? demographics.given : [],
    ...(text(demographics.birthDate) ? { birthDate: demographics.birthDate! } : {}),
    ...(demographics.sex ? { sex: demographics.sex } : {}),
    ...(text(demographics.phone) ? { phone: demographics.phone! } : {}),
    ...(a ? { address: { ...(a.line ? { line: a.line } : {}), ...(a.city ? { city: a.city } : {}), ...(a.postalCode ? { postalCode: a.postalCode } : {}) } } : {}),
  };
}

const isLine = (v: unknown): v is EvidenceLine =>
  typeof v === 'object' && v !== null && typeof (v as EvidenceLine).field === 'string' && typeof (v as EvidenceLine).level === 'string' && typeof (v as EvidenceLine).weight === 'number';

/**
 * Reads the evidence jsonb as resolve.ts writes it: the identifier rule's facts, or the matcher's own evidence. A
 * matcher's list of field lines is spread into the stored object by the resolver, so the lines may sit under numeric
 * keys as well as in an array.
 */
function parseEvidence(raw: unknown, weight: number): Omit<MatchEvidence, 'computed'> {
  const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const lines = Array.isArray(raw) ? raw.filter(isLine) : [...Object.values(obj).filter(isLine), ...(Array.isArray(obj.evidence) ? obj.evidence.filter(isLine) : [])];
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    weight,
    rule: typeof obj.rule === 'string' ? obj.rule : null,
    conflict: typeof obj.conflict === 'string' ? obj.conflict : null,
    conflictingSystems: num(obj.conflictingSystems),
    candidates: num(obj.candidates),
    stored: lines.map((l) => ({ field: l.field, level: l.level, weight: l.weight })),
  };
}

// ── The service ─────────────────────────────────────────────────────────────────────────────────────────────────────

interface MatchRow {
  id: string;
  record_id: string;
  candidate_patient_id: string;
  candidate_record_id: string | null;
  weight: number;
  evidence: unknown;
  state: MatchState;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Date;
}

export const actorOf = (subject: Subject) => `${subject.kind}:${subject.id}`;

function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new VigilError('invalid-cursor', 400, 'cursor is not one this server gave out; start again without it.');
  return id;
}

export async function reviewers(db: Db | Tx, actors: readonly (string | null)[]): Promise<Map<string, Reviewer>> {
  const ids = [...new Set(actors.flatMap((a) => (a?.startsWith('person:') ? [a.slice('person:'.length)] : [])))];
  const rows = ids.length ? await db.selectFrom('people').select(['id', 'display_name']).where('id', 'in', ids).execute() : [];
  const out = new Map<string, Reviewer>();
  for (const a of actors) if (a) out.set(a, { id: a, name: rows.find((r) => `person:${r.id}` === a)?.display_name ?? null });
  return out;
}

/** One audit event per patient an identity action showed or changed (each once), in the action's transaction. */
export async function auditPatients(trx: Tx, subject: Subject, facts: RequestFacts, action: string, code: 'R' | 'U', patientIds: readonly string[], details: Record<string, unknown>): Promise<void> {
  const events: AuditEventInput[] = [...new Set(patientIds)].map((patientId) => ({ action, actionCode: code, resourceType: 'Patient', resourceIds: [patientId], patientId, outcome: 'success', details }));
  await recordAuditMany(trx, subject, facts, events);
}

export class IdentityReviewService {
  constructor(private readonly store: Store) {}

  /** The route's gate already asked; a core service asks again, as every service that shows patient data does. */
  private permit(subject: Subject): void {
    const decision = decide({ subject, action: 'identity.review' });
    if (!decision.permit) throw new ForbiddenError(decision.reason, 'Your roles do not include reviewing possible matches.');
  }

  private audit(trx: Tx, subject: Subject, facts: RequestFacts, action: string, code: 'R' | 'U', patientIds: readonly string[], details: Record<string, unknown>): Promise<void> {
    return auditPatients(trx, subject, facts, action, code, patientIds, details);
  }

  async list(subject: Subject, facts: RequestFacts, query: ListQuery): Promise<{ items: PossibleMatchSummary[]; next: string | null }> {
    this.permit(subject);
    return this.store.tx(async (trx) => {
      const open = query.state === 'open';
      const after = query.cursor ? decodeCursor(query.cursor) : null;
      // The open queue is worked oldest first; decided pairs are looked up newest decision first (to undo one).
      const order = open ? sql`m.created_at asc, m.id asc` : sql`m.decided_at desc nulls last, m.id desc`;
      const page = after
        ? open
          ? sql`and (m.created_at, m.id) > (select created_at, id from identity_possible_matches where id = ${after}::uuid)`
          : sql`and (coalesce(m.decided_at, '-infinity'::timestamptz), m.id) < (select coalesce(decided_at, '-infinity'::timestamptz), id from identity_possible_matches where id = ${after}::uuid)`
        : sql``;
      const rows = await sql<MatchRow>`
        select m.id, m.record_id, m.candidate_patient_id, m.candidate_record_id, m.weight, m.evidence, m.state, m.decided_by, m.decided_at, m.created_at
        from identity_possible_matches m where m.state = ${query.state} ${page}
        order by ${order} limit ${query.limit + 1}`.execute(trx);
      const shown = rows.rows.slice(0, query.limit);
      const records = await loadRecords(trx, { ids: shown.map((m) => m.record_id) });
      const candidateIds = [...new Set(shown.map((m) => m.candidate_patient_id))];
      const candidates = await loadPatients(trx, candidateIds);
      const candidateIdentifiers = await patientIdentifiers(trx, candidateIds);
      const recordCounts = candidateIds.length
        ? await trx.selectFrom('patient_records').select(['patient_id', (eb) => eb.fn.countAll<string>().as('n')]).where('patient_id', 'in', candidateIds).groupBy('patient_id').execute()
        : [];
      const rawDemographics = await demographicsOf(trx, shown.map((m) => m.record_id));
      const people = await reviewers(trx, shown.map((m) => m.decided_by));
      const items: PossibleMatchSummary[] = [];
      for (const m of shown) {
        const record = records.find((r) => r.recordId === m.record_id);
        const candidate = candidates.get(m.candidate_patient_id);
        if (!record || !candidate) continue;
        const identifiers = candidateIdentifiers.get(m.candidate_patient_id) ?? [];
        const compared = compareSides(
          { demographics: record.demographics, identifiers: record.identifiers, match: recordMatch(record.recordId, rawDemographics.get(record.recordId) ?? { identifiers: [], given: [], flags: [] }, record.identifiers) },
          { demographics: candidate.demographics, identifiers, match: { ...candidate.match, identifiers } },
        );
        const evidence = parseEvidence(m.evidence, m.weight);
        items.push({
          id: m.id,
          state: m.state,
          weight: m.weight,
          createdAt: m.created_at.toISOString(),
          decidedAt: m.decided_at?.toISOString() ?? null,
          decidedBy: m.decided_by ? (people.get(m.decided_by) ?? null) : null,
          rule: evidence.rule,
          conflict: evidence.conflict,
          record: { recordId: record.recordId, source: record.source.name, family: record.demographics.family, given: record.demographics.given, birthDate: record.demographics.birthDate, sex: record.demographics.sex },
          candidate: {
            patientId: m.candidate_patient_id,
            family: candidate.demographics.family,
            given: candidate.demographics.given,
            birthDate: candidate.demographics.birthDate,
            sex: candidate.demographics.sex,
            records: Number(recordCounts.find((c) => c.patient_id === m.candidate_patient_id)?.n ?? 0),
          },
          agree: compared.rows.filter((r) => r.verdict === 'same' || r.verdict === 'similar').length,
          differ: compared.rows.filter((r) => r.verdict === 'different').length,
        });
      }
      await recordAuditMany(trx, subject, facts, [{ action: 'identity.review.search', actionCode: 'E', resourceType: 'Patient', outcome: 'success', query: { state: query.state, limit: query.limit, cursor: query.cursor ? 'yes' : 'no' }, details: { shown: items.length } }]);
      const byPatient = new Map<string, string[]>();
      for (const item of items) for (const p of [records.find((r) => r.recordId === item.record.recordId)!.patientId, item.candidate.patientId]) byPatient.set(p, [...(byPatient.get(p) ?? []), item.id]);
      await recordAuditMany(trx, subject, facts, [...byPatient].map(([patientId, matches]) => ({ action: 'identity.review.search-hit', actionCode: 'R', resourceType: 'Patient', resourceIds: [patientId], patientId, outcome: 'success', details: { possibleMatches: matches } })));
      return { items, next: rows.rows.length > query.limit && shown.length > 0 ? encodeCursor(shown.at(-1)!.id) : null };
    });
  }

  async view(subject: Subject, facts: RequestFacts, id: string): Promise<PossibleMatchView> {
    this.permit(subject);
    return this.store.tx(async (trx) => {
      const view = await this.load(trx, id);
      await this.audit(trx, subject, facts, 'identity.review.read', 'R', [view.record.patientId, view.candidate.patientId, view.candidate.livePatientId], { possibleMatch: id });
      return view;
    });
  }

  async decide(subject: Subject, facts: RequestFacts, id: string, input: { decision: ReviewDecision; note?: string }): Promise<DecisionOutcome> {
    this.permit(subject);
    return this.store.tx(async (trx) => {
      const match = await trx.selectFrom('identity_possible_matches').selectAll().where('id', '=', id).executeTakeFirst();
      if (!match) throw new NotFoundError('No possible match has this id.');
      const note = input.note?.trim() ? input.note.trim() : undefined;
      if (input.decision === 'not-a-match') {
        const updated = await trx
          .updateTable('identity_possible_matches')
          .set({ state: 'not-a-match', decided_by: actorOf(subject), decided_at: new Date() })
          .where('id', '=', id)
          .where('state', '=', 'open')
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) throw decidedAlready();
        const record = await trx.selectFrom('patient_records').select('patient_id').where('id', '=', match.record_id).executeTakeFirstOrThrow();
        await this.audit(trx, subject, facts, 'identity.review.not-a-match', 'U', [record.patient_id, match.candidate_patient_id], { possibleMatch: id, recordId: match.record_id, ...(note ? { note } : {}) });
        return { id, state: 'not-a-match', link: null };
      }
      // The identifier locks come before the row lock, in the resolver's order, so the two never wait on each other.
      await lockIdentifiers(trx, await recordIdentifiers(trx, match.record_id));
      const locked = await trx.selectFrom('identity_possible_matches').select('state').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
      if (locked.state !== 'open') throw decidedAlready();
      const outcome = await linkRecord(trx, {
        recordId: match.record_id,
        toPatientId: match.candidate_patient_id,
        actor: actorOf(subject),
        weight: match.weight,
        evidence: { possibleMatch: id, match: match.evidence, ...(note ? { note } : {}) },
      });
      await trx.updateTable('identity_possible_matches').set({ state: 'linked', decided_by: actorOf(subject), decided_at: new Date() }).where('id', '=', id).execute();
      await this.audit(trx, subject, facts, 'identity.review.link', 'U', [outcome.fromPatientId, outcome.toPatientId, match.candidate_patient_id], {
        possibleMatch: id,
        recordId: match.record_id,
        linkEvent: outcome.linkEventId,
        from: outcome.fromPatientId,
        to: outcome.toPatientId,
        ...(note ? { note } : {}),
      });
      return { id, state: 'linked', link: { ...outcome, eventId: outcome.linkEventId } };
    });
  }

  async undo(subject: Subject, facts: RequestFacts, linkEventId: string): Promise<UnlinkOutcome> {
    this.permit(subject);
    return this.store.tx(async (trx) => {
      const outcome = await unlinkRecord(trx, { linkEventId, actor: actorOf(subject) });
      await this.audit(trx, subject, facts, 'identity.review.unlink', 'U', [outcome.restoredToPatientId, outcome.leftPatientId], {
        linkEvent: linkEventId,
        unlinkEvent: outcome.unlinkEventId,
        recordId: outcome.recordId,
        possibleMatch: outcome.possibleMatchId,
      });
      return outcome;
    });
  }

  private async load(trx: Tx, id: string): Promise<PossibleMatchView> {
    const m = await trx.selectFrom('identity_possible_matches').selectAll().where('id', '=', id).executeTakeFirst();
    if (!m) throw new NotFoundError('No possible match has this id.');
    const [record] = await loadRecords(trx, { ids: [m.record_id] });
    if (!record) throw new NotFoundError('No possible match has this id.');
    const live = await livePatient(trx, m.candidate_patient_id);
    const patients = await loadPatients(trx, [live]);
    const candidate = patients.get(live);
    if (!candidate) throw new NotFoundError('No possible match has this id.');
    const identifiers = (await patientIdentifiers(trx, [live])).get(live) ?? [];
    const sameSide = record.patientId === live;
    const candidateRecords = await loadRecords(trx, { patientIds: [live] });
    const recordPatientRecords = sameSide ? [] : await loadRecords(trx, { patientIds: [record.patientId] });
    const raw = (await demographicsOf(trx, [record.recordId])).get(record.recordId) ?? { identifiers: [], given: [], flags: [] };
    // Once linked, the record's own identifiers are among the candidate's: compare without them, or every row agrees.
    const candidateIds = sameSide ? identifiersWithout(identifiers, candidateRecords, record.recordId) : identifiers;
    const compared = compareSides(
      { demographics: record.demographics, identifiers: record.identifiers, match: recordMatch(record.recordId, raw, record.identifiers) },
      { demographics: candidate.demographics, identifiers: candidateIds, match: { ...candidate.match, identifiers: candidateIds } },
    );
    const linkRow = await sql<{ id: string; at: Date; actor: string; from_patient_id: string; to_patient_id: string; undone: boolean }>`
      select e.id, e.at, e.actor, e.from_patient_id, e.to_patient_id, exists (select 1 from identity_link_events u where u.undoes = e.id) as undone
      from identity_link_events e where e.decision = 'person-link' and e.evidence->>'possibleMatch' = ${id}
      order by e.id desc limit 1`.execute(trx);
    const link = linkRow.rows[0];
    const people = await reviewers(trx, [m.decided_by, link?.actor ?? null]);
    return {
      id: m.id,
      state: m.state,
      createdAt: m.created_at.toISOString(),
      decidedAt: m.decided_at?.toISOString() ?? null,
      decidedBy: m.decided_by ? (people.get(m.decided_by) ?? null) : null,
      record,
      recordPatientOthers: recordPatientRecords.filter((r) => r.recordId !== record.recordId),
      candidate: {
        patientId: m.candidate_patient_id,
        livePatientId: live,
        demographics: candidate.demographics,
        identifiers: candidateIds,
        records: candidateRecords.filter((r) => r.recordId !== record.recordId),
      },
      comparison: compared.rows,
      evidence: { ...parseEvidence(m.evidence, m.weight), computed: compared.computed },
      link: link
        ? { eventId: String(link.id), at: link.at.toISOString(), by: people.get(link.actor) ?? { id: link.actor, name: null }, fromPatientId: link.from_patient_id, toPatientId: link.to_patient_id, undone: link.undone }
        : null,
    };
  }
}

function decidedAlready(): VigilError {
  return new VigilError('possible-match-decided', 409, 'This pair has already been decided; reload to see the decision.');
}

/** The candidate's identifiers as they would be without one of its records (directory-entered ones always stay). */
function identifiersWithout(all: ReviewIdentifier[], records: ReviewRecord[], recordId: string): ReviewIdentifier[] {
  const others = new Set(records.filter((r) => r.recordId !== recordId).flatMap((r) => r.identifiers.map((i) => `${i.system}|${i.value}`)));
  const mine = new Set(records.find((r) => r.recordId === recordId)?.identifiers.map((i) => `${i.system}|${i.value}`) ?? []);
  return all.filter((i) => others.has(`${i.system}|${i.value}`) || !mine.has(`${i.system}|${i.value}`));
}

async function demographicsOf(db: Db | Tx, recordIds: readonly string[]): Promise<Map<string, PatientRecordInput>> {
  if (recordIds.length === 0) return new Map();
  const rows = await db.selectFrom('patient_records').select(['id', 'demographics']).where('id', 'in', [...recordIds]).execute();
  return new Map(rows.map((r) => [r.id, r.demographics as PatientRecordInput]));
}
