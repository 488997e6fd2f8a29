import { useState, type MouseEvent, type ReactNode } from 'react';
import { ErrorNotice, Loading } from '../components/ErrorNotice.tsx';
import type { Loaded } from '../hooks/use-api.ts';
import { useMe } from '../session/session.tsx';
import { plural } from '../text/words.ts';
import { FactRow, InferredMark, Name, RestrictedMark, SourceCell, StatusCell, type OpenHistory } from './FactCells.tsx';
import { HistoryDialog } from './HistoryDialog.tsx';
import { Provenance } from './Provenance.tsx';
import { SectionTable } from './SectionTable.tsx';
import { StatusText } from './StatusText.tsx';
import { chartTime, readerZone, sourceTimeText } from './time.ts';
import { ShowMore } from './ShowMore.tsx';
import type { AllergyBody, Chart, ChartEncounter, ChartFact, ChartIdentifier, ChartReport, ChartResult, ChartSection, ConditionBody, DiagnosticReportBody, DocumentBody, MedicationBody, ObservationBody } from './types.ts';
import { useSectionPages } from './use-section-pages.ts';
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
          <Results patientId={patientId} section={data.results} onHistory={setHistoryOf} />
          <Medications patientId={patientId} section={data.medications} onHistory={setHistoryOf} />
          <FactListSection patientId={patientId} section={data.problems} onHistory={setHistoryOf} spec={PROBLEMS} />
          <FactListSection patientId={patientId} section={data.allergies} onHistory={setHistoryOf} spec={ALLERGIES} />
          <Encounters patientId={patientId} section={data.encounters} />
          <FactListSection patientId={patientId} section={data.documents} onHistory={setHistoryOf} spec={DOCUMENTS} />
          <Identifiers identifiers={data.identifiers} />
        </>
      ) : null}
      {historyOf ? <HistoryDialog fact={historyOf} onClose={() => setHistoryOf(undefined)} /> : null}
    </section>
  );
}

/** Jump links with each section's total (what this reader may see, not only what is loaded): a long chart is read by section. */
function ChartContents({ chart }: { chart: Chart }) {
  const links: [string, string, number][] = [
    ['chart-results', 'Results', chart.results.total],
    ['chart-medications', 'Medications', chart.medications.total],
    ['chart-problems', 'Problems', chart.problems.total],
    ['chart-allergies', 'Allergies', chart.allergies.total],
    ['chart-encounters', 'Encounters', chart.encounters.total],
    ['chart-documents', 'Documents', chart.documents.total],
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

const isReport = (r: ChartResult): r is ChartReport => r.kind === 'diagnostic-report' && Array.isArray(r.observations);

/** Newest first, as the server pages them; observations outside any report are gathered between the reports around them. */
function resultGroups(items: readonly ChartResult[]): (ChartReport | ChartFact[])[] {
  const groups: (ChartReport | ChartFact[])[] = [];
  for (const item of items) {
    if (isReport(item)) groups.push(item);
    else if (Array.isArray(groups.at(-1))) (groups.at(-1) as ChartFact[]).push(item);
    else groups.push([item]);
  }
  return groups;
}

function Results({ patientId, section, onHistory }: { patientId: string; section: ChartSection<ChartResult>; onHistory: OpenHistory }) {
  const pages = useSectionPages(patientId, 'results', section);
  const reports = pages.items.filter(isReport);
  const shown = reports.reduce((n, r) => n + r.observations.length, 0) + pages.items.length - reports.length;
  return (
    <SectionTable
      id="results"
      title="Results"
      count={`${plural(reports.length, 'report')}, ${plural(shown, 'result')}${pages.next ? ' shown' : ''}`}
      empty={pages.items.length === 0}
      emptyText="No results received from the connected sources."
      columns={['Test', 'Result', 'Flag', 'Reference range', 'Status', 'Taken', 'Source']}
      className="results"
      footer={<ShowMore pages={pages} shown={pages.items.length} one="report or result outside a report" many="reports and results outside a report" testId="chart-results" />}
    >
      {resultGroups(pages.items).map((group) => {
        if (Array.isArray(group)) {
          return (
            <tbody key={`loose-${group[0]!.id}`} className="results__report">
              {reports.length > 0 ? (
                <tr className="results__head">
                  <th scope="rowgroup" colSpan={7}>
                    Results outside a report
                  </th>
                </tr>
              ) : null}
              {group.map((o) => (
                <ObservationRow key={o.id} fact={o} onHistory={onHistory} inReport={false} />
              ))}
            </tbody>
          );
        }
        const report = group;
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

function Medications({ patientId, section, onHistory }: { patientId: string; section: ChartSection<ChartFact>; onHistory: OpenHistory }) {
  const pages = useSectionPages(patientId, 'medications', section);
  const of = (kind: ChartFact['kind']) => pages.items.filter((f) => f.kind === kind);
  const groups: [string, string, ChartFact[]][] = [
    ['requests', 'Orders', of('medication-request')],
    ['administrations', 'Given (administrations)', of('medication-administration')],
    ['dispenses', 'Dispensed by pharmacy', of('medication-dispense')],
    ['statements', 'Reported as taken (medication history)', of('medication-statement')],
  ];
  return (
    <SectionTable
      id="medications"
      title="Medications"
      count={plural(pages.total, 'entry', 'entries')}
      empty={pages.items.length === 0}
      emptyText="No medications received from the connected sources."
      columns={['Medication', 'Dose · route · how often', 'Status', 'When', 'Details', 'Source']}
      className="medications"
      footer={<ShowMore pages={pages} shown={pages.items.length} one="entry" many="entries" testId="chart-medications" />}
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

// ── Problems, allergies and documents: one fact a row ──────────────────────────────────────────────────────────────

/** What sets a section of one fact a row apart: its words, its columns, and `cells`, which draws a row's cells. */
interface FactListSpec {
  name: 'problems' | 'allergies' | 'documents';
  title: string;
  one: string;
  many?: string;
  emptyText: string;
  columns: readonly string[];
  footnote?: string;
  cells: (fact: ChartFact, onHistory: OpenHistory) => ReactNode;
}

function FactListSection({ patientId, section, onHistory, spec }: { patientId: string; section: ChartSection<ChartFact>; onHistory: OpenHistory; spec: FactListSpec }) {
  const pages = useSectionPages(patientId, spec.name, section);
  const facts = pages.items;
  return (
    <SectionTable
      id={spec.name}
      title={spec.title}
      count={plural(pages.total, spec.one, spec.many)}
      empty={facts.length === 0}
      emptyText={spec.emptyText}
      columns={spec.columns}
      footer={
        <>
          <ShowMore pages={pages} shown={facts.length} one={spec.one} many={spec.many} testId={`chart-${spec.name}`} />
          {spec.footnote ? <p className="muted chart__note">{spec.footnote}</p> : null}
        </>
      }
    >
      <tbody>
        {facts.map((fact) => (
          <FactRow key={fact.id} fact={fact}>
            {spec.cells(fact, onHistory)}
          </FactRow>
        ))}
      </tbody>
    </SectionTable>
  );
}

const PROBLEMS: FactListSpec = {
  name: 'problems',
  title: 'Problems',
  one: 'problem',
  emptyText: 'No problems received from the connected sources.',
  columns: ['Problem', 'Status', 'Since', 'Source'],
  cells: (fact, onHistory) => {
    const body = fact.body as ConditionBody;
    const code = fact.code ? fact.code.code : undefined;
    const sub = [body.category ? CONDITION_CATEGORY[body.category] ?? body.category : null, code].filter(Boolean).join(' · ');
    return (
      <>
        <th scope="row">
          <Name fact={fact} sub={sub || undefined} />
        </th>
        <StatusCell fact={fact} onHistory={onHistory} />
        <td className="num">{body.onset ? sourceTimeText(body.onset) : <span className="muted">Not stated</span>}</td>
        <SourceCell fact={fact} onHistory={onHistory} />
      </>
    );
  },
};

const ALLERGIES: FactListSpec = {
  name: 'allergies',
  title: 'Allergies',
  one: 'allergy',
  many: 'allergies',
  emptyText: 'None received from the connected sources. That does not mean the patient has none.',
  columns: ['Allergy', 'Criticality', 'Status', 'Source'],
  cells: (fact, onHistory) => {
    const body = fact.body as AllergyBody;
    const sub = [body.category ? ALLERGY_CATEGORY[body.category] ?? body.category : null, body.reaction ? `Reaction: ${body.reaction}` : null].filter(Boolean).join(' · ');
    return (
      <>
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
      </>
    );
  },
};

const DOCUMENTS: FactListSpec = {
  name: 'documents',
  title: 'Documents',
  one: 'document',
  emptyText: 'No documents received from the connected sources.',
  columns: ['Document', 'Dated', 'Size', 'Status', 'Source'],
  footnote: 'Documents are stored encrypted; opening one is recorded against the patient. One without “Open the document” arrived without its text: read it in the source system.',
  cells: (fact, onHistory) => {
    const body = fact.body as DocumentBody;
    return (
      <>
        <th scope="row">
          <span className="chart__name">{body.title ?? factName(fact)}</span> <InferredMark fact={fact} /> <RestrictedMark fact={fact} />
          {body.title && body.title !== factName(fact) ? <span className="cell__sub">{factName(fact)}</span> : null}
          {body.digest && fact.status !== 'entered-in-error' ? (
            <span className="cell__sub">
              <a href={`/fhir/R4/Binary/${fact.id}`} target="_blank" rel="noopener noreferrer" data-testid="open-document">
                Open the document
              </a>
            </span>
          ) : null}
        </th>
        <td className="num">{chartTime(fact.effectiveAt)}</td>
        <td className="num">
          {bytesText(body.size)}
          {body.contentType ? <span className="cell__sub">{body.contentType}</span> : null}
        </td>
        <StatusCell fact={fact} onHistory={onHistory} />
        <SourceCell fact={fact} onHistory={onHistory} />
      </>
    );
  },
};

// ── Encounters and identifiers ─────────────────────────────────────────────────────────────────────────────────────

function Encounters({ patientId, section }: { patientId: string; section: ChartSection<ChartEncounter> }) {
  const me = useMe();
  const pages = useSectionPages(patientId, 'encounters', section);
  const encounters = pages.items;
  return (
    <SectionTable
      id="encounters"
      title="Encounters"
      count={plural(pages.total, 'encounter')}
      empty={encounters.length === 0}
      emptyText="No encounters recorded."
      columns={['Type', 'Status', 'From', 'Until', 'Where', 'Source']}
      footer={<ShowMore pages={pages} shown={encounters.length} one="encounter" testId="chart-encounters" />}
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
