/**
 * Goal 4 of the integration issue, FHIR Bundle import ≥ 3,000 resources/s: NOT MEASURED YET.
 *
 * The inbound endpoint exists (`POST /fhir/R4`, src/api/routes/fhir-inbound.ts: a system client posts a Bundle, one
 * resource or NDJSON; the body is archived and answered 202, and the gateway's workers normalize it), but this bench
 * does not drive it. A real measurement needs, on the bench's PostgreSQL cluster:
 *   - a FHIR source bound to a system client, and an access token for that client (client credentials);
 *   - realistic transaction Bundles (Patient, Encounter, Observation, DiagnosticReport; tens to hundreds of entries);
 *   - K concurrent posters to an `--role api` process, timing the 202 answers (intake), then `--role worker`
 *     processes draining the inbox, counting resources normalized per second (the figure the goal names);
 *   - peers in the same run: the same Bundles' bytes through `JSON.parse` alone (the parse ceiling) and single-row
 *     autocommit INSERTs of the same size (the durable-commit limit), as for MLLP.
 * Until then the function below says so, and the results file reports the goal as not measurable rather than a
 * number nobody measured.
 */
export interface FhirImportResult {
  measured: false;
  reason: string;
}

export function placeholderFhirBundleImportBench(endpoint: string): FhirImportResult {
  return { measured: false, reason: `${endpoint} exists, but the FHIR Bundle import bench is a placeholder (bench/gateway/fhir-import.ts) and measures nothing yet` };
}
