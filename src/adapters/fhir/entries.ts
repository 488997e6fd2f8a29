import type { FactInput, MergeInput, ObservationBody, PatientGroup, PatientRecordInput } from '../../model/clinical.ts';
import { KeyRegistry } from '../hl7v2/map/keys.ts';
import type { FhirMapContext, MapState } from './context.ts';
import { mapEncounter } from './encounter.ts';
import { EntryRefusal } from './errors.ts';
import { PatientGroups, type Slot } from './groups.ts';
import { sameIdentifier } from './identifiers.ts';
import { objectsAt, stringAt } from './json.ts';
import { resourceKey } from './keys.ts';
import { patientLinks } from './merge.ts';
import { mapPatient } from './patient.ts';
import type { Payload, PayloadEntry } from './payload.ts';
import { ReferenceIndex } from './references.ts';
import { FACT_MAPPERS, notMappedReason } from './resources.ts';
import { encounterEntry, patientTarget } from './subject.ts';

export interface FhirEntryResult {
  index: number;
  resourceType: string;
  /** The resource's id as the source sent it (a FHIR id, checked). */
  id?: string;
  outcome: 'mapped' | 'ignored' | 'error';
  /** Why an entry was ignored or refused; names elements and rules, never values. */
  reason?: string;
}

export interface MappedEntries {
  results: FhirEntryResult[];
  refusals: EntryRefusal[];
  groups: PatientGroup[];
  merges: MergeInput[];
}

/**
 * Maps every entry in three passes, because FHIR references point anywhere in a bundle: (1) keys and patients, so
 * any resource can name them; (2) encounters and facts; (3) what needs both ends — facts placed in their encounter's
 * group, observations given the key of the report that lists them. Each entry succeeds or fails on its own.
 */
export function mapEntries(payload: Payload, ctx: FhirMapContext): MappedEntries {
  const refs = new ReferenceIndex(payload.entries);
  const registry = new KeyRegistry();
  const keys = new Map<PayloadEntry, string | EntryRefusal>();
  const outcomes = new Map<number, { outcome: 'mapped' } | EntryRefusal>();
  for (const r of payload.refused) outcomes.set(r.index, r.refusal);
  const attempt = (entry: PayloadEntry, run: () => void) => {
    try {
      run();
      outcomes.set(entry.index, { outcome: 'mapped' });
    } catch (err) {
      if (!(err instanceof EntryRefusal)) throw err;
      outcomes.set(entry.index, err);
    }
  };

  for (const entry of payload.entries) {
    if (entry.type !== 'Encounter' && !FACT_MAPPERS[entry.type]) continue;
    try {
      keys.set(entry, registry.unique(resourceKey(entry)));
    } catch (err) {
      if (!(err instanceof EntryRefusal)) throw err;
      keys.set(entry, err);
    }
  }
  const records = new Map<PayloadEntry, PatientRecordInput>();
  const byIdentifier = new Map<string, PayloadEntry>();
  const state: MapState = {
    ctx,
    refs,
    keyOf(entry) {
      const key = keys.get(entry);
      if (typeof key === 'string') return key;
      throw key ?? new Error('an entry of a type that is not keyed was asked for its key');
    },
    peekKey: (entry) => {
      const key = keys.get(entry);
      return typeof key === 'string' ? key : undefined;
    },
    uniqueKey: (key) => registry.unique(key),
    patientWith: (identifier) => byIdentifier.get(`${identifier.system}|${identifier.value}`),
  };

  // Pass 1: patients, then their links (a link may name a patient later in the bundle).
  const merges: MergeInput[] = [];
  for (const entry of payload.entries) {
    if (entry.type === 'Patient') attempt(entry, () => void records.set(entry, mapPatient(entry, ctx)));
  }
  for (const [entry, record] of [...records]) {
    attempt(entry, () => {
      for (const merge of patientLinks(entry, record, state, records)) {
        if (!merges.some((x) => sameIdentifier(x.survivor, merge.survivor) && sameIdentifier(x.retired, merge.retired))) merges.push(merge);
      }
    });
    if (outcomes.get(entry.index) instanceof EntryRefusal) records.delete(entry);
  }
  const groups = new PatientGroups();
  for (const [entry, record] of records) {
    groups.present(entry, record);
    for (const i of record.identifiers) if (!byIdentifier.has(`${i.system}|${i.value}`)) byIdentifier.set(`${i.system}|${i.value}`, entry);
  }

  // Pass 2: encounters and facts, each attached to its patient's slot.
  const placed: { entry: PayloadEntry; slot: Slot; facts: FactInput[]; encounter?: PayloadEntry }[] = [];
  const slotOf = (entry: PayloadEntry, field: string): Slot => {
    const target = patientTarget(entry, field, state);
    if (target.kind === 'absent') return groups.absent(target.identifier, target.flags, target.at);
    const slot = groups.slotOf(target.entry);
    if (!slot) throw EntryRefusal.error('invalid', `${entry.base}.${field}`, `${entry.type}.${field} refers to a Patient entry that could not be mapped.`);
    return slot;
  };
  for (const entry of payload.entries) {
    if (entry.type === 'Patient') continue;
    if (entry.type === 'Encounter') {
      attempt(entry, () => {
        const slot = slotOf(entry, 'subject');
        slot.encounters.set(entry, { encounter: mapEncounter(entry, state), facts: [] });
      });
      continue;
    }
    const mapper = FACT_MAPPERS[entry.type];
    if (!mapper) {
      outcomes.set(entry.index, EntryRefusal.ignored(entry.base, notMappedReason(entry.type)));
      continue;
    }
    attempt(entry, () => {
      const slot = slotOf(entry, mapper.patient);
      const facts = mapper.map(entry, state);
      const encounter = encounterEntry(mapper.encounter(entry.resource), entry, state);
      placed.push({ entry, slot, facts, ...(encounter ? { encounter } : {}) });
    });
  }

  // Pass 3: facts into their encounter's group (when it is this patient's), observations linked to their report.
  for (const { slot, facts, encounter } of placed) {
    const inEncounter = encounter && slot.encounters.get(encounter);
    (inEncounter ? inEncounter.facts : slot.facts).push(...facts);
  }
  linkReports(placed, refs);

  const results = [...payload.entries.map((e) => ({ index: e.index, type: e.type, id: e.id })), ...payload.refused.map((r) => ({ index: r.index, type: r.type, id: undefined }))]
    .sort((a, b) => a.index - b.index)
    .map(({ index, type, id }): FhirEntryResult => {
      const outcome = outcomes.get(index);
      const base = { index, resourceType: type, ...(id !== undefined ? { id } : {}) };
      if (!(outcome instanceof EntryRefusal)) return { ...base, outcome: 'mapped' };
      return { ...base, outcome: outcome.outcome, reason: outcome.diagnostics };
    });
  const refusals = [...outcomes.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, o]) => o)
    .filter((o): o is EntryRefusal => o instanceof EntryRefusal && o.outcome === 'error');
  return { results, refusals, groups: groups.groups(), merges };
}

/** DiagnosticReport.result → each listed Observation of the payload (and its components) gets the report's key. */
function linkReports(placed: readonly { entry: PayloadEntry; facts: FactInput[] }[], refs: ReferenceIndex): void {
  const factsOf = new Map(placed.map((p) => [p.entry, p.facts]));
  for (const { entry, facts } of placed) {
    const report = facts.find((f) => f.kind === 'diagnostic-report');
    if (!report) continue;
    for (const [result] of objectsAt(entry.resource, 'result')) {
      const literal = stringAt(result, 'reference');
      const target = literal === undefined ? undefined : refs.resolve(literal, entry);
      for (const fact of (target && factsOf.get(target)) ?? []) {
        if (fact.kind === 'observation') (fact.body as ObservationBody).reportKey ??= report.sourceKey;
      }
    }
  }
}
