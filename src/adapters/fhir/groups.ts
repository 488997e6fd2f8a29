import type { EncounterInput, FactInput, Identifier, PatientGroup, PatientRecordInput } from '../../model/clinical.ts';
import type { QualityFlag } from '../../model/quality.ts';
import type { PayloadEntry } from './payload.ts';

export interface Slot {
  record: PatientRecordInput;
  position: string;
  present: boolean;
  facts: FactInput[];
  encounters: Map<PayloadEntry, { encounter: EncounterInput; facts: FactInput[] }>;
}

/**
 * The payload's resources sorted by patient. The model gives a group one encounter, and a FHIR bundle (Synthea's in
 * particular) holds many per patient: so each patient gets a group for what belongs to no encounter of the payload,
 * then one group per encounter with the facts that reference it — the way an HL7 message's PV1 groups what follows it.
 * Every group of a patient carries the same record. A patient only referenced gets no group without facts.
 */
export class PatientGroups {
  private readonly slots = new Map<string, Slot>();

  present(entry: PayloadEntry, record: PatientRecordInput): void {
    this.slots.set(`entry:${entry.index}`, { record, position: entry.base, present: true, facts: [], encounters: new Map() });
  }

  /** The slot of a patient in the payload; undefined when its Patient entry could not be mapped. */
  slotOf(entry: PayloadEntry): Slot | undefined {
    return this.slots.get(`entry:${entry.index}`);
  }

  /** A patient the payload names but does not carry; the same identifier always gives the same slot. */
  absent(identifier: Identifier, flags: QualityFlag[], at: string): Slot {
    const key = `id:${identifier.system}|${identifier.value}`;
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { record: { identifiers: [identifier], given: [], flags }, position: at, present: false, facts: [], encounters: new Map() };
      this.slots.set(key, slot);
    }
    return slot;
  }

  groups(): PatientGroup[] {
    const out: PatientGroup[] = [];
    for (const slot of this.slots.values()) {
      if (slot.present || slot.facts.length > 0) {
        out.push({ patient: slot.record, facts: slot.facts, position: slot.position });
      }
      for (const { encounter, facts } of slot.encounters.values()) out.push({ patient: slot.record, encounter, facts, position: slot.position });
    }
    return out;
  }
}
