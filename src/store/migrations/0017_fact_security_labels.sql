-- Security labels a fact carries of its own, as its source marked it (HL7 TXA-18 document confidentiality, FHIR
-- meta.security): a reader whose roles open none of them does not see the fact, as a label on the patient closes
-- the whole chart (src/core/clinical/result-visibility.ts). Empty for almost every fact.
ALTER TABLE clinical_facts ADD COLUMN security_labels text[] NOT NULL DEFAULT '{}';
