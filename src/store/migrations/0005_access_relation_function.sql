-- One patient's relation to one person, as the policy decision point needs it. A PL/pgSQL function so that each
-- connection plans the statement once and reuses the plan: planning this query cost three times its execution on
-- every patient read (measured, bench/README.md). Searches use the same rules as a SQL condition
-- (src/controls/access/relations.ts); the authorization matrix test holds the two to the same answers.
CREATE FUNCTION access_patient_relation(me uuid, pid uuid)
RETURNS TABLE (id uuid, security_labels text[], managing_facility_id uuid, active_encounter_facilities text[], in_care boolean, coverage text, grant_id uuid, grant_expires_at timestamptz)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  SELECT p.id, p.security_labels, p.managing_facility_id,
         (SELECT array_agg(DISTINCT e.facility_id::text) FROM encounters e WHERE e.patient_id = p.id AND e.status = 'active'),
         EXISTS (SELECT 1 FROM patient_assignments pa
                  WHERE pa.patient_id = p.id AND pa.starts_at <= now() AND (pa.ends_at IS NULL OR pa.ends_at > now())
                    AND (pa.person_id = me OR pa.team_id IN (SELECT m.team_id FROM care_team_members m WHERE m.person_id = me))),
         (SELECT CASE WHEN count(*) = 0 THEN NULL WHEN bool_or(c.ends_at > now()) THEN 'active' ELSE 'ended' END
            FROM coverage c
           WHERE c.covering_person_id = me AND c.starts_at <= now()
             AND EXISTS (SELECT 1 FROM patient_assignments pa
                          WHERE pa.patient_id = p.id AND pa.starts_at <= now() AND (pa.ends_at IS NULL OR pa.ends_at > now())
                            AND (pa.person_id = c.covered_person_id OR pa.team_id IN (SELECT m.team_id FROM care_team_members m WHERE m.person_id = c.covered_person_id)))),
         g.id, g.expires_at
    FROM patients p
    LEFT JOIN LATERAL (SELECT g.id, g.expires_at FROM break_glass_grants g
                        WHERE g.person_id = me AND g.patient_id = p.id AND g.ended_at IS NULL AND g.expires_at > now()
                        ORDER BY g.expires_at DESC LIMIT 1) g ON true
   WHERE p.id = pid;
END
$$;
