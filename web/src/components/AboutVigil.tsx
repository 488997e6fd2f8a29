export function AboutVigil() {
  return (
    <section className="about" aria-labelledby="about-title">
      <h1 id="about-title" className="about__title">
        Clinical data you can trust, with a record of who saw it
      </h1>
      <p className="about__lead">
        Vigil receives clinical data from EHRs, laboratories and pharmacies (HL7 v2 messages, FHIR R4 resources and file
        drops) and normalizes it into one record per patient in which every fact keeps its provenance: which system sent
        it, when, and how it was transformed. It resolves patient identity across sources, decides every read and write
        on the server on a least-privilege basis, records each access in a tamper-evident audit trail, honours consent at
        the moment of disclosure, and raises an alarm when a feed falls silent.
      </p>
      <ul className="about__audiences">
        <li>
          <strong>Clinicians</strong> See where each result came from, and whether it is preliminary, corrected or final.
        </li>
        <li>
          <strong>Integration engineers</strong> Every inbound message is kept before it is acknowledged, can be replayed, and is never applied twice.
        </li>
        <li>
          <strong>Privacy officers</strong> Search and export an audit trail that anyone with the public key can verify offline.
        </li>
      </ul>
    </section>
  );
}
