import { VigilError } from '../../errors.ts';

/** FHIR issue types (http://hl7.org/fhir/issue-type) as far as mapping raises them. */
export type FhirIssueCode = 'invalid' | 'required' | 'not-supported' | 'structure' | 'value';

/**
 * One OperationOutcome.issue, ready for the gateway to send back. `expression` is FHIRPath with indices only
 * (`Bundle.entry[3].resource.subject`); `diagnostics` names elements and rules, never a value from the payload.
 */
export interface FhirIssue {
  severity: 'error';
  code: FhirIssueCode;
  expression: string;
  diagnostics: string;
}

/**
 * A payload Vigil will not map. `structure`: the payload itself is not acceptable FHIR (HTTP 400, nothing was read).
 * `entries`: it is well formed but one or more resources cannot be mapped and the payload is all-or-nothing
 * (a transaction, or a single resource) — HTTP 422, as FHIR servers answer a business-rule failure.
 */
export class FhirMappingError extends VigilError {
  readonly issues: readonly FhirIssue[];

  constructor(kind: 'structure' | 'entries', issues: readonly FhirIssue[]) {
    const first = issues[0];
    const summary = first ? ` the first at ${first.expression}: ${first.diagnostics}` : '';
    super(
      kind === 'structure' ? 'fhir-payload-invalid' : 'fhir-entries-refused',
      kind === 'structure' ? 400 : 422,
      `FHIR payload not mapped (${issues.length} issue${issues.length === 1 ? '' : 's'});${summary}`,
    );
    this.issues = issues;
  }
}

/**
 * Thrown by a resource mapper when one entry cannot be mapped (`error`) or is deliberately not kept (`ignored`, e.g.
 * an Observation about a Location). Caught per entry: in a batch the other entries still map.
 */
export class EntryRefusal extends Error {
  readonly outcome: 'error' | 'ignored';
  readonly code: FhirIssueCode;
  readonly expression: string;
  readonly diagnostics: string;

  constructor(outcome: 'error' | 'ignored', code: FhirIssueCode, expression: string, diagnostics: string) {
    super(diagnostics);
    this.outcome = outcome;
    this.code = code;
    this.expression = expression;
    this.diagnostics = diagnostics;
  }

  static error(code: FhirIssueCode, expression: string, diagnostics: string): EntryRefusal {
    return new EntryRefusal('error', code, expression, diagnostics);
  }

  static ignored(expression: string, diagnostics: string): EntryRefusal {
    return new EntryRefusal('ignored', 'not-supported', expression, diagnostics);
  }
}

export function issue(code: FhirIssueCode, expression: string, diagnostics: string): FhirIssue {
  return { severity: 'error', code, expression, diagnostics };
}
