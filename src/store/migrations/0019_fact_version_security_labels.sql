-- A version keeps the security labels its source gave it. The fact's labels are those of its current version, so a
-- document that arrived restricted (TXA-18 R) and was later sent again unrestricted is open to a nurse, but the
-- restricted version in its history must not be: history reads each version under its own labels and the fact's.
ALTER TABLE clinical_fact_versions ADD COLUMN security_labels text[] NOT NULL DEFAULT '{}';

-- Versions stored before this knew only the fact's labels: they keep those, which closes no more than the fact does now.
UPDATE clinical_fact_versions v SET security_labels = f.security_labels
FROM clinical_facts f WHERE f.id = v.fact_id AND f.security_labels <> '{}';
