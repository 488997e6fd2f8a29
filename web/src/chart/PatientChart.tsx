import { useState, type MouseEvent } from 'react';
import { ErrorNotice, Loading } from '../components/ErrorNotice.tsx';
import type { Loaded } from '../hooks/use-api.ts';
import { useMe } from '../session/session.tsx';
import { plural } from '../text/words.ts';
import { FactRow, InferredMark, Name, SourceCell, StatusCell, type OpenHistory } from './FactCells.tsx';
import { HistoryDialog } from './HistoryDialog.tsx';
import { Provenance } from './Provenance.tsx';
import { SectionTable } from './SectionTable.tsx';
import { StatusText } from './StatusText.tsx';
import { chartTime, readerZone, sourceTimeText } from './time.ts';
import type { AllergyBody, Chart, ChartEncounter, ChartFact, ChartIdentifier, ConditionBody, DiagnosticReportBody, DocumentBody, MedicationBody, ObservationBody } from './types.ts';
import { bytesText, doseText, factName, observationValue, quantityText } from './values.ts';
import { ALLERGY_CATEGORY, CONDITION_CATEGORY, CRITICALITY, encounterClassText, flagWords, identifierSystemName } from './words.ts';
import './chart.css';

/**
 * The chart a clinician opens: results, medications, problems, allergies, encounters, documents, and the identifiers
 * behind the record with the sources that hold them. Every entry names its source; hovering, focusing or tapping it
 * shows where it came from and how far to trust it, and opens its version history. What the server left out (results
 * this person may not see) is simply not here: the page says nothing about it.
 */
export function PatientChart({ chart, patientId }: { chart: Loaded<Chart>; patientId: string }) {
  const [historyOf, setHistoryOf] = useState<ChartFact>();
  // While another patient's chart loads, the previous answer is still held: never show it under this name.
  const data = chart.data?.patient.id === patientId ? chart.data : undefined;
  return (
    <section className="chart" aria-labelledby="chart-title" data-testid="section-chart" data-state={chart.state}>
      <div className="chart__head">
        <h2 id="chart-title" className="chart__title">
          Chart
        </h2>
        <p className="chart__how muted">
          Times are in your zone ({readerZone()}). Each entry names its source: point at it, tab to it or tap it for where it came from, and its
          history. <span className="inferred">≈ Inferred</span> marks what Vigil worked out rather than a source stating it.
        </p>
        {data ? <ChartContents chart={data} /> : null}
      </div>
      {chart.state === 'error' ? <ErrorNotice error={chart.error} title="The chart could not be loaded" /> : null}
      {!data && chart.state === 'loading' ? <Loading what="the chart" /> : null}
      {data ? (
        <>
          <Results chart={data} onHistory={setHistoryOf} />
          <Medications chart={data} onHistory={setHistoryOf} />
          <Problems facts={data.problems} onHistory={setHistoryOf} />
          <AllergyTable facts={data.allergies} onHistory={setHistoryOf} />
          <Encounters encounters={data.encounters} />
          <Documents facts={data.documents} onHistory={setHistoryOf} />
          <Identifiers identifiers={data.identifiers} />
        </>
      ) : null}
      {historyOf ? <HistoryDialog fact={historyOf} onClose={() => setHistoryOf(undefined)} /> : null}
    </section>
  );
}

function resultCount(chart: Chart): number {
  return chart.results.observations.length + chart.results.reports.reduce((n, r) => n + r.observations.length, 0);
}

function medicationCount(chart: Chart): number {
  const m = chart.medications;
  return m.requests.length + m.administrations.length + m.statements.length + m.dispenses.length;
}

/** Jump links with counts: a long chart is read by section. */
function ChartContents({ chart }: { chart: Chart }) {
  const links: [string, string, number][] = [
    ['chart-results', 'Results', resultCount(chart)],
    ['chart-medications', 'Medications', medicationCount(chart)],
    ['chart-problems', 'Problems', chart.problems.length],
    ['chart-allergies', 'Allergies', chart.allergies.length],
    ['chart-encounters', 'Encounters', chart.encounters.length],
    ['chart-documents', 'Documents', chart.documents.length],
    ['chart-identifiers', 'Identifiers', chart.identifiers.length],
  ];
  return (
    <nav className="chart__contents" aria-label="Chart sections">
      {links.map(([id, label, n]) => (
        <a key={id} href={`#${id}`} onClick={(e) => jump(e, id)}>
          {label} <span className="chart__count">{n}</span>
        </a>
      ))}
    </nav>
  );
}

/** The app's addresses live in the hash, so an in-page link would change the screen: scroll and focus instead. */
function jump(event: MouseEvent, id: string) {
  event.preventDefault();
  const target = document.getElementById(id);
  target?.scrollIntoView({ block: 'start' });
  target?.querySelector<HTMLElement>('h3')?.focus({ preventScroll: true });
}

// ── Results ────────────────────────────────────────────────────────────────────────────────────────────────────────

function Results({ chart, onHistory }: { chart: Chart; onHistory: OpenHistory }) {
  const { reports, observations } = chart.results;
  const n = resultCount(chart);
  return (
    <SectionTable
      id="results"
      title="Results"
      count={`${plural(reports.length, 'report')}, ${plural(n, 'result')}`}
      empty={reports.length === 0 && observations.length === 0}
      emptyText="No results received from the connected sources."
      columns={['Test', 'Result', 'Flag', 'Reference range', 'Status', 'Taken', 'Source']}
      className="results"
    >
      {reports.map((report) => {
        const body = report.body as DiagnosticReportBody;
        const orders = [body.placerOrder ? `Order ${body.placerOrder}` : null, body.fillerOrder ? `lab no. ${body.fillerOrder}` : null, body.issued ? `issued ${sourceTimeText(body.issued)}` : null].filter(Boolean).join(' · ');
        return (
          <tbody key={report.id} className="results__report" data-fact-id={report.id} data-kind="report">
            <tr className={report.inferred ? 'results__head chart-row--inferred' : 'results__head'}>
              <th scope="rowgroup" colSpan={4}>
                <Name fact={report} sub={orders || undefined} />
              </th>
              <StatusCell fact={report} onHistory={onHistory} />
              <td className="num">{chartTime(report.effectiveAt)}</td>
              <SourceCell fact={report} onHistory={onHistory} />
            </tr>
            {report.observations.map((o) => (
              <ObservationRow key={o.id} fact={o} onHistory={onHistory} inReport />
            ))}
          </tbody>
        );
      })}
      {observations.length > 0 ? (
        <tbody className="results__report">
          {reports.length > 0 ? (
            <tr className="results__head">
              <th scope="rowgroup" colSpan={7}>
                Results outside a report
              </th>
            </tr>
          ) : null}
          {observations.map((o) => (
            <ObservationRow key={o.id} fact={o} onHistory={onHistory} inReport={false} />
          ))}
        </tbody>
      ) : null}
    </SectionTable>
  );
}

function ObservationRow({ fact, onHistory, inReport }: { fact: ChartFact; onHistory: OpenHistory; inReport: boolean }) {
  const body = fact.body as ObservationBody;
  const flag = flagWords(body.interpretation);
  const severity = flag?.severity ?? 'normal';
  const classes = ['results__row', `results__row--${severity}`, fact.inferred ? 'chart-row--inferred' : ''].filter(Boolean).join(' ');
  return (
    <tr className={classes} data-fact-id={fact.id} data-kind="observation" data-flag={body.interpretation ?? ''}>
      <th scope="row" className={inReport ? 'results__test results__test--in-report' : 'results__test'}>
        <Name fact={fact} sub={body.note} />
      </th>
      <td className="num results__value">{observationValue(body)}</td>
      <td className="results__flag">
        {flag && flag.severity !== 'normal' ? (
          <span className={`flag flag--${flag.severity}`}>
            {flag.glyph ? <span aria-hidden="true">{flag.glyph} </span> : null}
            {flag.label}
          </span>
        ) : flag ? (
          <span className="muted">{flag.label}</span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="num">{body.referenceRange ?? <span className="muted">None sent</span>}</td>
      <StatusCell fact={fact} onHistory={onHistory} />
      <td className="num">{chartTime(fact.effectiveAt)}</td>
      <SourceCell fact={fact} onHistory={onHistory} />
    </tr>
  );
}

// ── Medications ────────────────────────────────────────────────────────────────────────────────────────────────────

function Medications({ chart, onHistory }: { chart: Chart; onHistory: OpenHistory }) {
  const m = chart.medications;
  const groups: [string, string, ChartFact[]][] = [
    ['requests', 'Orders', m.requests],
    ['administrations', 'Given (administrations)', m.administrations],
    ['dispenses', 'Dispensed by pharmacy', m.dispenses],
    ['statements', 'Reported as taken (medication history)', m.statements],
  ];
  const n = medicationCount(chart);
  return (
    <SectionTable
      id="medications"
      title="Medications"
      count={plural(n, 'entry', 'entries')}
      empty={n === 0}
      emptyText="No medications received from the connected sources."
      columns={['Medication', 'Dose · route · how often', 'Status', 'When', 'Details', 'Source']}
      className="medications"
    >
      {groups
        .filter(([, , facts]) => facts.length > 0)
        .map(([key, label, facts]) => (
          <tbody key={key} data-group={key}>
            <tr className="chart-table__group">
              <th scope="rowgroup" colSpan={6}>
                {label}
              </th>
            </tr>
            {facts.map((fact) => {
              const body = fact.body as MedicationBody;
              const details = [body.quantity ? `Quantity ${quantityText(body.quantity)}` : null, body.prescriber ? `Prescriber id ${body.prescriber}` : null].filter(Boolean).join(' · ');
              return (
                <FactRow key={fact.id} fact={fact}>
                  <th scope="row">
                    <Name fact={fact} sub={body.dosage?.text} />
                  </th>
                  <td>{doseText(body) ?? <span className="muted">Not stated</span>}</td>
                  <StatusCell fact={fact} onHistory={onHistory} />
                  <td className="num">
                    {chartTime(fact.effectiveAt)}
                    {body.period?.end ? <span className="cell__sub">until {sourceTimeText(body.period.end)}</span> : null}
                  </td>
                  <td>{details || <span className="muted">—</span>}</td>
                  <SourceCell fact={fact} onHistory={onHistory} />
                </FactRow>
              );
            })}
          </tbody>
        ))}
    </SectionTable>
  );
}

// ── Problems and allergies ─────────────────────────────────────────────────────────────────────────────────────────

function Problems({ facts, onHistory }: { facts: ChartFact[]; onHistory: OpenHistory }) {
  return (
    <SectionTable
      id="problems"
      title="Problems"
      count={plural(facts.length, 'problem')}
      empty={facts.length === 0}
      emptyText="No problems received from the connected sources."
      columns={['Problem', 'Status', 'Since', 'Source']}
    >
      <tbody>
        {facts.map((fact) => {
          const body = fact.body as ConditionBody;
          const code = fact.code ? fact.code.code : undefined;
          const sub = [body.category ? CONDITION_CATEGORY[body.category] ?? body.category : null, code].filter(Boolean).join(' · ');
          return (
            <FactRow key={fact.id} fact={fact}>
              <th scope="row">
                <Name fact={fact} sub={sub || undefined} />
              </th>
              <StatusCell fact={fact} onHistory={onHistory} />
              <td className="num">{body.onset ? sourceTimeText(body.onset) : <span className="muted">Not stated</span>}</td>
              <SourceCell fact={fact} onHistory={onHistory} />
            </FactRow>
          );
        })}
      </tbody>
    </SectionTable>
  );
}

function AllergyTable({ facts, onHistory }: { facts: ChartFact[]; onHistory: OpenHistory }) {
  return (
    <SectionTable
      id="allergies"
      title="Allergies"
      count={plural(facts.length, 'allergy', 'allergies')}
      empty={facts.length === 0}
      emptyText="None received from the connected sources. That does not mean the patient has none."
      columns={['Allergy', 'Criticality', 'Status', 'Source']}
    >
      <tbody>
        {facts.map((fact) => {
          const body = fact.body as AllergyBody;
          const sub = [body.category ? ALLERGY_CATEGORY[body.category] ?? body.category : null, body.reaction ? `Reaction: ${body.reaction}` : null].filter(Boolean).join(' · ');
          return (
            <FactRow key={fact.id} fact={fact}>
              <th scope="row">
                <Name fact={fact} sub={sub || undefined} />
              </th>
              <td>
                {body.criticality === 'high' ? (
                  <span className="flag flag--critical">
                    <span aria-hidden="true">! </span>
                    {CRITICALITY.high}
                  </span>
                ) : body.criticality ? (
                  (CRITICALITY[body.criticality] ?? body.criticality)
                ) : (
                  <span className="muted">Not stated</span>
                )}
              </td>
              <StatusCell fact={fact} onHistory={onHistory} />
              <SourceCell fact={fact} onHistory={onHistory} />
            </FactRow>
          );
        })}
      </tbody>
    </SectionTable>
  );
}

// ── Encounters, documents, identifiers ─────────────────────────────────────────────────────────────────────────────

function Encounters({ encounters }: { encounters: ChartEncounter[] }) {
  const me = useMe();
  return (
    <SectionTable
      id="encounters"
      title="Encounters"
      count={plural(encounters.length, 'encounter')}
      empty={encounters.length === 0}
      emptyText="No encounters recorded."
      columns={['Type', 'Status', 'From', 'Until', 'Where', 'Source']}
    >
      <tbody>
        {encounters.map((e) => {
          const facility = e.facilityId ? me.facilities.find((f) => f.id === e.facilityId) : undefined;
          return (
            <tr key={e.id} data-encounter-id={e.id}>
              <th scope="row">{encounterClassText(e.class)}</th>
              <td>
                <StatusText kind="encounter" status={e.status} />
              </td>
              <td className="num">{chartTime(e.start)}</td>
              <td className="num">{e.end ? chartTime(e.end) : <span className="muted">{e.status === 'in-progress' ? 'Still open' : '—'}</span>}</td>
              <td>
                {e.location ?? <span className="muted">No location given</span>}
                <span className="cell__sub">{facility ? facility.name : e.facilityId ? 'A facility where you do not work' : 'Facility not given'}</span>
              </td>
              <td>
                <Provenance provenance={e.provenance} subject={`${encounterClassText(e.class)} encounter`} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </SectionTable>
  );
}

function Documents({ facts, onHistory }: { facts: ChartFact[]; onHistory: OpenHistory }) {
  return (
    <SectionTable
      id="documents"
      title="Documents"
      count={plural(facts.length, 'document')}
      empty={facts.length === 0}
      emptyText="No documents received from the connected sources."
      columns={['Document', 'Dated', 'Size', 'Status', 'Source']}
      footer={<p className="muted chart__note">Document text is kept encrypted and is not shown here yet; read it in the source system.</p>}
    >
      <tbody>
        {facts.map((fact) => {
          const body = fact.body as DocumentBody;
          return (
            <FactRow key={fact.id} fact={fact}>
              <th scope="row">
                <span className="chart__name">{body.title ?? factName(fact)}</span> <InferredMark fact={fact} />
                {body.title && body.title !== factName(fact) ? <span className="cell__sub">{factName(fact)}</span> : null}
              </th>
              <td className="num">{chartTime(fact.effectiveAt)}</td>
              <td className="num">
                {bytesText(body.size)}
                {body.contentType ? <span className="cell__sub">{body.contentType}</span> : null}
              </td>
              <StatusCell fact={fact} onHistory={onHistory} />
              <SourceCell fact={fact} onHistory={onHistory} />
            </FactRow>
          );
        })}
      </tbody>
    </SectionTable>
  );
}

function Identifiers({ identifiers }: { identifiers: ChartIdentifier[] }) {
  return (
    <SectionTable
      id="identifiers"
      title="Identifiers and the systems that hold them"
      count={plural(identifiers.length, 'identifier')}
      empty={identifiers.length === 0}
      emptyText="No identifiers."
      columns={['Identifier', 'Value', 'Held by']}
    >
      <tbody>
        {identifiers.map((i) => (
          <tr key={`${i.system}|${i.value}`} data-system={i.system}>
            <th scope="row">
              {identifierSystemName(i.system) ?? 'Identifier'}
              <span className="cell__sub mono">{i.system}</span>
            </th>
            <td className="mono">{i.value}</td>
            <td>
              {i.sources.length === 0 ? (
                <span className="muted">Entered in Vigil’s directory</span>
              ) : (
                <ul className="chart__sources">
                  {i.sources.map((s) => (
                    <li key={s.sourceId}>
                      {s.sourceName}
                      {s.retired ? <span className="cell__sub">merged away by that source: kept as history</span> : null}
                    </li>
                  ))}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </SectionTable>
  );
}
