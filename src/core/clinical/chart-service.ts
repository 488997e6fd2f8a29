import { validate as isUuid } from 'uuid';
import type { RequestFacts, Subject } from '../../controls/access/subject.ts';
import { ForbiddenError, NotFoundError } from '../../errors.ts';
import type { FactKind } from '../../model/clinical.ts';
import type { Store, Tx } from '../../store/store.ts';
import { loadPatient } from '../patients/patient-service.ts';
import { projectPatient, type FhirPatient } from '../patients/fhir-patient.ts';
import { auditedRefusals, authorizeChart, readEvent, recordRead, requireFactRead, type ChartAccess, type Target } from './chart-access.ts';
import { identifiersWithSources, staleFeeds } from './chart-sources.ts';
import { firstScreen, readSections, sectionCursor } from './chart-pages.ts';
import type { ChartSectionName } from './chart-sections.ts';
import { chartFact, versionView, type Chart, type ChartFact, type ChartSectionPage, type ChartSections, type VersionView } from './chart-view.ts';
import { encounterCondition, encounterPatient, loadEncounters, pageEncounterIds, storedEncounterStatuses } from './encounter-query.ts';
import { decodeCursor, encodeCursor } from './chart-cursor.ts';
import { countEverything, pageEverything } from './everything-query.ts';
import { loadLinks } from './fact-links.ts';
import { factCondition, factHeader, loadFacts, pageFactIds, type PatientScope } from './fact-query.ts';
import { loadVersion, loadVersions, versionFact } from './fact-versions.ts';
import { toEncounter, toFhir, toProvenance, type FhirResource } from './fhir/index.ts';
import { auditQueryOf, type ClinicalSearch } from './fhir/search-params.ts';
import { FACT_TYPES, typeOfKind, type ClinicalType } from './resource-types.ts';
import { chartRowFilter, crossPatientVisibility, isResultKind, resultActionFor, factVisibility, withheldActions } from './result-visibility.ts';
import { recordSearch, shownByPatient } from './search-audit.ts';

/**
 * Patients' charts: the clinical facts and encounters the gateway stored, as FHIR resources and as the chart the web
 * UI shows. Like PatientService, every read loads the patient's relation to the caller, asks the decision point
 * (chart.read, and the result disclosure for each result status), reads only what was permitted (in SQL), and
 * writes its audit events in the same transaction: a failed audit write means no data. Refusals are audited in a
 * transaction of their own.
 */
export interface ResourcePage {
  total: number;
  resources: FhirResource[];
}

export interface EverythingPage extends ResourcePage {
  /** The cursor of the next page, null on the last. */
  next: string | null;
}

export interface FactHistory {
  fact: ChartFact;
  versions: VersionView[];
}

const ALL_KINDS = Object.values(FACT_TYPES) as FactKind[];
const EVERYTHING_LIST = 'everything';
/** Before every entry: what follows a first page that held only the patient. */
const FROM_START = { rank: 0, at: 'infinity', id: '00000000-0000-0000-0000-000000000000' };

export class ChartService {
  constructor(private readonly store: Store) {}

  private guarded<T>(subject: Subject, facts: RequestFacts, fn: (trx: Tx) => Promise<T>): Promise<T> {
    return auditedRefusals(this.store, subject, facts, () => this.store.tx(fn));
  }

  /** One resource by id. An unknown id is refused exactly like a forbidden one, unless the caller may see any patient. */
  async read(subject: Subject, facts: RequestFacts, type: ClinicalType, id: string): Promise<FhirResource> {
    return this.guarded(subject, facts, async (trx) => {
      const target: Target = { resourceType: type, id };
      if (type === 'Encounter') {
        const access = await authorizeChart(trx, subject, isUuid(id) ? ((await encounterPatient(trx, id)) ?? null) : null, target);
        const [encounter] = await loadEncounters(trx, [id], access.patientId);
        if (!encounter) throw new NotFoundError('No resource of this type has this id.');
        await recordRead(trx, subject, facts, access, readEvent(access, 'chart.read', type, [id]));
        return toEncounter(encounter);
      }
      const header = isUuid(id) ? await factHeader(trx, id, [FACT_TYPES[type]]) : undefined;
      const access = await authorizeChart(trx, subject, header?.patientId ?? null, target);
      if (!header) throw new NotFoundError('No resource of this type has this id.');
      const action = requireFactRead(access, subject, header, target);
      // The status is checked again in SQL: it may have changed since the header was read.
      const [fact] = await loadFacts(trx, [id], factVisibility(access.visibility, 'f'));
      if (!fact) throw new NotFoundError('No resource of this type has this id.');
      const links = await loadLinks(trx, [fact], access.visibility);
      await recordRead(trx, subject, facts, access, readEvent(access, action, type, [id]));
      return toFhir(fact, links.get(id));
    });
  }

  /** A search of one type, for one patient or across every patient whose chart the caller may open (row filter). */
  async search(subject: Subject, facts: RequestFacts, type: ClinicalType, search: ClinicalSearch): Promise<ResourcePage> {
    return this.guarded(subject, facts, async (trx) => {
      let scope: PatientScope;
      let single: ChartAccess | undefined;
      if (search.patientId) {
        single = await authorizeChart(trx, subject, search.patientId, { resourceType: 'Patient', id: search.patientId });
        scope = { patientId: search.patientId };
      } else {
        const rowFilter = chartRowFilter(subject);
        if (!rowFilter) throw new ForbiddenError('deny-role', 'Your roles do not include reading charts.');
        scope = { rowFilter };
      }
      const visibility = single?.visibility ?? crossPatientVisibility(subject);
      let page: ResourcePage & { patients: { id: string; patientId: string }[] };
      if (type === 'Encounter') {
        const where = encounterCondition(scope, { ...(search.statuses.length ? { statuses: storedEncounterStatuses(search.statuses) } : {}), dates: search.dates });
        const { total, ids } = await pageEncounterIds(trx, where, search.count, search.offset);
        const encounters = await loadEncounters(trx, ids);
        page = { total, resources: encounters.map(toEncounter), patients: encounters };
      } else {
        const where = factCondition(scope, visibility, { kinds: [FACT_TYPES[type]], codes: search.codes, statuses: search.statuses, dates: search.dates, categories: search.categories });
        const { total, ids } = await pageFactIds(trx, where, search.count, search.offset);
        const loaded = await loadFacts(trx, ids);
        const links = await loadLinks(trx, loaded, visibility);
        page = { total, resources: loaded.map((f) => toFhir(f, links.get(f.id))), patients: loaded };
      }
      await recordSearch(trx, subject, facts, { resourceType: type, query: auditQueryOf(type, search), total: page.total, shown: shownByPatient(page.patients), ...(single ? { single } : {}) });
      return { total: page.total, resources: page.resources };
    });
  }

  /**
   * Patient/$everything: the patient (cut to the permitted fields) and every resource of theirs the caller may see, a
   * page at a time. `cursor` is the `next` of the page before (bound to this patient); without it, the first page.
   */
  async everything(subject: Subject, facts: RequestFacts, patientId: string, page: { count: number; cursor?: string }): Promise<EverythingPage> {
    return this.guarded(subject, facts, async (trx) => {
      const access = await authorizeChart(trx, subject, patientId, { resourceType: 'Patient', id: patientId });
      const after = page.cursor === undefined ? undefined : decodeCursor(patientId, EVERYTHING_LIST, page.cursor);
      // The patient is the first entry of the first page; the chart's resources follow it.
      const withPatient = !after && page.count > 0;
      const total = await countEverything(trx, patientId, access.visibility);
      const { entries, last } = await pageEverything(trx, patientId, access.visibility, page.count - (withPatient ? 1 : 0), after);
      const encounters = new Map((await loadEncounters(trx, entries.filter((e) => e.table === 'encounter').map((e) => e.id), patientId)).map((e) => [e.id, toEncounter(e)]));
      const loaded = await loadFacts(trx, entries.filter((e) => e.table === 'fact').map((e) => e.id));
      const links = await loadLinks(trx, loaded, access.visibility);
      const factResources = new Map(loaded.map((f) => [f.id, toFhir(f, links.get(f.id))]));
      const resources: FhirResource[] = entries.flatMap((e) => (e.table === 'encounter' ? encounters.get(e.id) : factResources.get(e.id)) ?? []);
      if (withPatient) resources.unshift(await this.patientOf(trx, access));
      // A first page of one entry holds only the patient: the next page starts at the chart's first resource.
      const next = last ? encodeCursor(patientId, EVERYTHING_LIST, last) : withPatient && page.count === 1 && total > 0 ? encodeCursor(patientId, EVERYTHING_LIST, FROM_START) : null;
      await recordRead(trx, subject, facts, access, readEvent(access, 'chart.read', 'Patient', [patientId], {
        operation: 'everything',
        page: after ? 'next' : 'first',
        total: total + 1,
        resources: resources.map((r) => `${r.resourceType}/${r.id}`),
        disclosed: disclosedActions(loaded),
      }));
      return { total: total + 1, resources, next };
    });
  }

  /**
   * The chart a clinician opens: demographics, identifiers and their sources, and the newest entries of each section
   * with its total and the cursor of its next page. Allergies and problems come whole unless very long.
   */
  async chart(subject: Subject, facts: RequestFacts, patientId: string, options: { limit: number }): Promise<Chart> {
    return this.guarded(subject, facts, async (trx) => {
      const access = await authorizeChart(trx, subject, patientId, { resourceType: 'Patient', id: patientId });
      const patient = await this.patientOf(trx, access);
      const identifiers = access.decision.patientFields.includes('identifier') ? await identifiersWithSources(trx, patientId) : [];
      const read = await readSections(trx, patientId, access.visibility, firstScreen(options.limit));
      const chart: Chart = {
        patient,
        identifiers,
        ...(read.sections as ChartSections),
        stale: await staleFeeds(trx, patientId),
        withheld: withheldActions(access.visibility),
        limit: options.limit,
      };
      await recordRead(trx, subject, facts, access, readEvent(access, 'chart.read', 'Patient', [patientId], {
        view: 'chart',
        facts: read.shown.length,
        encounters: read.encounters,
        disclosed: disclosedActions(read.shown),
      }));
      return chart;
    });
  }

  /** "Show more" of one chart section: the page after `before` (a cursor of this patient's section), newest first. */
  async chartSection(subject: Subject, facts: RequestFacts, patientId: string, section: ChartSectionName, options: { limit: number; before?: string }): Promise<ChartSectionPage> {
    return this.guarded(subject, facts, async (trx) => {
      const access = await authorizeChart(trx, subject, patientId, { resourceType: 'Patient', id: patientId });
      const after = options.before === undefined ? undefined : sectionCursor(patientId, section, options.before);
      const read = await readSections(trx, patientId, access.visibility, [{ section, limit: options.limit, ...(after ? { after } : {}) }]);
      await recordRead(trx, subject, facts, access, readEvent(access, 'chart.read', 'Patient', [patientId], {
        view: 'chart-section',
        section,
        facts: read.shown.length,
        encounters: read.encounters,
        disclosed: disclosedActions(read.shown),
      }));
      return { section, ...read.sections[section]! } as ChartSectionPage;
    });
  }

  /** Every version of one fact the caller may see, with its provenance; numbers match the FHIR versionIds. */
  async history(subject: Subject, facts: RequestFacts, factId: string): Promise<FactHistory> {
    return this.guarded(subject, facts, async (trx) => {
      const header = isUuid(factId) ? await factHeader(trx, factId, ALL_KINDS) : undefined;
      const target: Target = { resourceType: header ? typeOfKind(header.kind) : 'Resource', id: factId };
      const access = await authorizeChart(trx, subject, header?.patientId ?? null, target);
      if (!header) throw new NotFoundError('No fact has this id.');
      const action = requireFactRead(access, subject, header, target);
      const [fact] = await loadFacts(trx, [factId], factVisibility(access.visibility, 'f'));
      if (!fact) throw new NotFoundError('No fact has this id.');
      const versions = await loadVersions(trx, [factId], access.visibility);
      await recordRead(trx, subject, facts, access, readEvent(access, action, target.resourceType, [factId], { view: 'history', versions: versions.length }));
      return { fact: chartFact(fact), versions: versions.map(versionView) };
    });
  }

  /** Provenance?target=Type/id: one Provenance per version of the target the caller may see. */
  async provenanceOf(subject: Subject, facts: RequestFacts, target: Target & { resourceType: ClinicalType }): Promise<FhirResource[]> {
    return this.guarded(subject, facts, async (trx) => {
      if (target.resourceType === 'Encounter') {
        const access = await authorizeChart(trx, subject, isUuid(target.id) ? ((await encounterPatient(trx, target.id)) ?? null) : null, target);
        const [encounter] = await loadEncounters(trx, [target.id], access.patientId);
        const out = encounter?.provenance ? [toProvenance(encounter.id, { resourceType: 'Encounter', id: encounter.id }, encounter.provenance, encounter.updatedAt)] : [];
        await recordRead(trx, subject, facts, access, readEvent(access, 'chart.read', 'Provenance', out.map((p) => p.id), { target: `Encounter/${target.id}` }));
        return out;
      }
      const header = isUuid(target.id) ? await factHeader(trx, target.id, [FACT_TYPES[target.resourceType]]) : undefined;
      const access = await authorizeChart(trx, subject, header?.patientId ?? null, target);
      if (!header) throw new NotFoundError('No resource of this type has this id.');
      const action = requireFactRead(access, subject, header, target);
      const versions = await loadVersions(trx, [target.id], access.visibility);
      const out = versions.map((v) => toProvenance(v.id, { resourceType: target.resourceType, id: target.id, version: v.number }, v.provenance, v.recordedAt));
      await recordRead(trx, subject, facts, access, readEvent(access, action, 'Provenance', out.map((p) => p.id), { target: `${target.resourceType}/${target.id}` }));
      return out;
    });
  }

  /** Provenance/{id}: ids are fact version ids, or encounter ids for an encounter's single provenance. */
  async provenance(subject: Subject, facts: RequestFacts, id: string): Promise<FhirResource> {
    return this.guarded(subject, facts, async (trx) => {
      const target: Target = { resourceType: 'Provenance', id };
      const version = isUuid(id) ? await versionFact(trx, id) : undefined;
      if (version) {
        const access = await authorizeChart(trx, subject, version.patientId, target);
        const action = requireFactRead(access, subject, version, target);
        const stored = await loadVersion(trx, id, access.visibility);
        if (!stored) throw new NotFoundError('No resource of this type has this id.');
        await recordRead(trx, subject, facts, access, readEvent(access, action, 'Provenance', [id], { target: `${typeOfKind(version.kind)}/${version.factId}` }));
        return toProvenance(id, { resourceType: typeOfKind(version.kind), id: version.factId, version: stored.number }, stored.provenance, stored.recordedAt);
      }
      const access = await authorizeChart(trx, subject, isUuid(id) ? ((await encounterPatient(trx, id)) ?? null) : null, target);
      const [encounter] = await loadEncounters(trx, [id], access.patientId);
      if (!encounter?.provenance) throw new NotFoundError('No resource of this type has this id.');
      await recordRead(trx, subject, facts, access, readEvent(access, 'chart.read', 'Provenance', [id], { target: `Encounter/${id}` }));
      return toProvenance(id, { resourceType: 'Encounter', id }, encounter.provenance, encounter.updatedAt);
    });
  }

  private async patientOf(trx: Tx, access: ChartAccess): Promise<FhirPatient> {
    const patient = await loadPatient(trx, access.patientId);
    if (!patient) throw new NotFoundError('No patient has this id.');
    return projectPatient(patient, access.decision.patientFields);
  }
}

/** Which result disclosures a set of shown facts made (the audit event says so). */
function disclosedActions(facts: readonly { kind: string; status: string }[]): string[] {
  return [...new Set(facts.filter((f) => isResultKind(f.kind)).map((f) => resultActionFor(f.status)))].sort();
}
