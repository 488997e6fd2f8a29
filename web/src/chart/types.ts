/**
 * Shapes of the chart API (GET /api/patients/:id/chart and /chart/:section, GET /api/facts/:id/history), imported from the server for their
 * shape only (erased at build time), so a change there breaks this build instead of the chart.
 */
export type { Chart, ChartEncounter, ChartFact, ChartReport, ChartResult, ChartSection, ChartSectionItems, ChartSectionPage, ProvenanceSummary, VersionView } from '../../../src/core/clinical/chart-view.ts';
export type { ChartIdentifier, StaleFeed } from '../../../src/core/clinical/chart-sources.ts';
export type { FactHistory } from '../../../src/core/clinical/chart-service.ts';
export type { QualityFlag, QualityFlagCode } from '../../../src/model/quality.ts';
export type { ObservationBody, MedicationBody, AllergyBody, ConditionBody, DocumentBody, DiagnosticReportBody, Quantity } from '../../../src/model/clinical.ts';
export type { SourceTime } from '../../../src/model/time.ts';
