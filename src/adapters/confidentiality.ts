import { CLOSING_CONFIDENTIALITY } from '../model/clinical.ts';

/**
 * A document's confidentiality code (HL7 v2 TXA-18, table 0272; FHIR v3 Confidentiality) as the security labels it
 * carries. The profile's mapping first (`documentConfidentiality`: a label, or '' for none); else R (restricted) and V
 * (very restricted) carry themselves, and the codes that close nothing (U, and the v3 L, M, N senders mix in) carry
 * none. Any other code is `unknown`: carried as it is, since a label the access policy does not name closes the
 * document to everyone until the profile maps it. Closed by mistake beats open by one.
 */
export function confidentialityLabels(code: string, mapping: Readonly<Record<string, string>> | undefined): { labels: string[]; unknown: boolean } {
  const upper = code.trim().toUpperCase();
  const mapped = mapping?.[upper];
  if (mapped !== undefined) return { labels: mapped ? [mapped] : [], unknown: false };
  if (OPEN.has(upper)) return { labels: [], unknown: false };
  return { labels: [upper], unknown: !CLOSING_CONFIDENTIALITY.has(upper) };
}

const OPEN: ReadonlySet<string> = new Set(['', 'U', 'N', 'L', 'M']);
