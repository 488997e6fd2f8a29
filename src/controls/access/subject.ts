/**
 * Who is asking. A person signs in and acts through a session; a system client (an EHR, a lab, a vendor) holds a
 * token granted to its credentials and is never a person. Everything that decides access starts from one of these.
 */
export interface PersonSubject {
  kind: 'person';
  id: string;
  username: string;
  displayName: string;
  roles: readonly string[];
  organizationId: string;
  facilityIds: readonly string[];
  sessionId: string;
  sessionKind: 'web' | 'api';
  /** When the second factor was last presented in this session; null when the session was opened without one. */
  mfaAt: Date | null;
}

export interface ClientSubject {
  kind: 'client';
  id: string;
  name: string;
  scopes: readonly string[];
}

export type Subject = PersonSubject | ClientSubject;

/** What the server knows about the request besides the subject: it goes onto every audit event. */
export interface RequestFacts {
  requestId: string;
  clientIp: string | null;
  userAgent: string | null;
  /** HL7 PurposeOfUse code the caller declared (X-Purpose-Of-Use), TREAT when none. */
  purposeOfUse: string;
}
