import type { Coding, FactKind } from '../../model/clinical.ts';
import type { Derivation, ProvenanceRecord } from '../../model/provenance.ts';
import type { QualityFlag } from '../../model/quality.ts';
import type { FhirPatient } from '../patients/fhir-patient.ts';
import { primaryCoding } from './fact-writer.ts';
import type { ChartIdentifier, StaleFeed } from './chart-sources.ts';
import { STORED_TO_FHIR_STATUS } from './fhir/encounter.ts';
import { typeOfKind, type FactType } from './resource-types.ts';
import type { ResultAction } from './result-visibility.ts';
import type { StoredEncounter, StoredFact, StoredVersion } from './stored-fact.ts';

/**
 * The chart a clinician opens, as the web UI reads it (JSON, not FHIR): every fact with where it came from and how
 * far to trust it, grouped the way a chart is read.
 */
export interface ProvenanceSummary {
  sourceId: string | null;
  sourceName: string | null;
  derivation: Derivation;
  confidence: number;
  sourceTime: string | null;
  receivedAt: string | null;
  transform: string | null;
  flags: QualityFlag[];
  lastConfirmedAt: string | null;
}

export interface ChartFact {
  id: string;
  resourceType: FactType;
  kind: FactKind;
  status: string;
  code: Coding | null;
  codings: Coding[];
  text: string | null;
  effectiveAt: string | null;
  encounterId: string | null;
  body: Record<string, unknown>;
  version: number;
  lastUpdated: string;
  /** A medication an active-only source's later list left out: that list's time (the status is then inferred). */
  absentSince: string | null;
  /** Vigil inferred this fact rather than a source stating it: the UI marks it so. */
  inferred: boolean;
  /** Labels its source put on it (a restricted document): the reader opens them, and the UI says the fact is restricted. */
  securityLabels: readonly string[];
  provenance: ProvenanceSummary;
}

export interface ChartReport extends ChartFact {
  observations: ChartFact[];
}

export interface ChartEncounter {
  id: string;
  status: string;
  class: string;
  start: string | null;
  end: string | null;
  location: string | null;
  facilityId: string | null;
  provenance: ProvenanceSummary | null;
}

/**
 * One section of the chart: its newest entries, how many the caller may see in all, and the cursor of the next page
 * (GET /api/patients/{id}/chart/{section}?before=…), null on the last page. Totals count only what the caller may see.
 */
export interface ChartSection<T> {
  items: T[];
  total: number;
  next: string | null;
}

/** A results entry: a report with its observations, or an observation outside any report the caller may see. */
export type ChartResult = ChartReport | (ChartFact & { observations?: undefined });

/** What each section's entries are. */
export interface ChartSectionItems {
  encounters: ChartEncounter;
  results: ChartResult;
  medications: ChartFact;
  problems: ChartFact;
  allergies: ChartFact;
  documents: ChartFact;
}

export type ChartSections = { [S in keyof ChartSectionItems]: ChartSection<ChartSectionItems[S]> };

/** GET /api/patients/{id}/chart/{section}: the next page of one section. */
export type ChartSectionPage<S extends keyof ChartSectionItems = keyof ChartSectionItems> = ChartSection<ChartSectionItems[S]> & { section: S };

export interface Chart extends ChartSections {
  patient: FhirPatient;
  identifiers: ChartIdentifier[];
  /** Feeds behind this chart that have gone quiet: what is shown may be out of date. */
  stale: StaleFeed[];
  /** Result disclosures the caller does not hold (e.g. preliminary results): such results are left out. */
  withheld: ResultAction[];
  /** Entries per section on this first page (allergies and problems come whole unless they are very long). */
  limit: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function summaryOf(record: ProvenanceRecord | null, overrides: Partial<ProvenanceSummary> = {}): ProvenanceSummary {
  return {
    sourceId: record?.sourceId ?? null,
    sourceName: record?.sourceName ?? null,
    derivation: record?.derivation ?? 'asserted',
    confidence: round(record?.confidence ?? 1),
    sourceTime: record?.sourceTime?.instant ?? null,
    receivedAt: record?.receivedAt ?? null,
    transform: record?.transform ?? null,
    flags: record?.flags ?? [],
    lastConfirmedAt: null,
    ...overrides,
  };
}

/** The current state comes from the fact row; what only a version knows (arrival, transform, flags) from its provenance. */
export function factProvenance(fact: StoredFact): ProvenanceSummary {
  return summaryOf(fact.provenance, {
    sourceId: fact.sourceId,
    sourceName: fact.sourceName ?? fact.provenance?.sourceName ?? null,
    derivation: fact.derivation,
    confidence: round(fact.confidence),
    ...(fact.sourceTime ? { sourceTime: fact.sourceTime.toISOString() } : {}),
    lastConfirmedAt: fact.lastConfirmedAt.toISOString(),
    // The inference is Vigil's, on top of the version: say why, beside what the transform noticed.
    ...(fact.absentSince ? { flags: [...(fact.provenance?.flags ?? []), { code: 'absent-from-active-list' as const }] } : {}),
  });
}

export function chartFact(fact: StoredFact): ChartFact {
  const code = primaryCoding(fact.codings);
  return {
    id: fact.id,
    resourceType: typeOfKind(fact.kind),
    kind: fact.kind,
    status: fact.status,
    code: code ?? null,
    codings: fact.codings,
    text: fact.codeDisplay,
    effectiveAt: fact.effectiveAt?.toISOString() ?? null,
    encounterId: fact.encounterId,
    body: fact.body,
    version: fact.versions,
    lastUpdated: fact.lastUpdated.toISOString(),
    absentSince: fact.absentSince?.toISOString() ?? null,
    inferred: fact.derivation === 'inferred',
    securityLabels: fact.securityLabels,
    provenance: factProvenance(fact),
  };
}

export function chartEncounter(e: StoredEncounter): ChartEncounter {
  return {
    id: e.id,
    status: STORED_TO_FHIR_STATUS[e.status] ?? e.status,
    class: e.class,
    start: e.startsAt?.toISOString() ?? null,
    end: e.endsAt?.toISOString() ?? null,
    location: e.location,
    facilityId: e.facilityId,
    provenance: e.provenance ? summaryOf(e.provenance, { sourceName: e.sourceName ?? e.provenance.sourceName ?? null }) : null,
  };
}

export interface VersionView {
  id: string;
  version: number;
  current: boolean;
  status: string;
  codings: Coding[];
  effectiveAt: string | null;
  body: Record<string, unknown>;
  sourceTime: string | null;
  recordedAt: string;
  provenance: ProvenanceSummary;
}

export function versionView(v: StoredVersion): VersionView {
  return {
    id: v.id,
    version: v.number,
    current: v.current,
    status: v.status,
    codings: v.codings,
    effectiveAt: v.effectiveAt?.toISOString() ?? null,
    body: v.body,
    sourceTime: v.sourceTime?.toISOString() ?? null,
    recordedAt: v.recordedAt.toISOString(),
    provenance: summaryOf(v.provenance),
  };
}

/** A report carries its observations; an observation outside any report stands alone. */
export function chartResult(fact: StoredFact, observations: ReadonlyMap<string, readonly StoredFact[]>): ChartResult {
  const view = chartFact(fact);
  return fact.kind === 'diagnostic-report' ? { ...view, observations: (observations.get(fact.id) ?? []).map(chartFact) } : view;
}
