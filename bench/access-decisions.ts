/**
 * Benchmark A: the policy decision point in-process. `decide()` is timed one call at a time over every cell of the
 * authorization matrix (role set × relation × patient action, and role set × role action), with the relations built
 * in memory the way relations.ts would load them for test/support/access-fixture.ts's hospital. The peer is the one
 * thing every authenticated request pays anyway: verifying an EdDSA access token with jose.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jwtVerify, SignJWT } from 'jose';
import { AUDIENCE, ISSUER, MAX_TTL_SECONDS } from '../src/controls/access/auth/access-tokens.ts';
import { decide, type DecisionInput, type PatientRelation } from '../src/controls/access/pdp.ts';
import { ROLES } from '../src/controls/access/policy.ts';
import type { PersonSubject } from '../src/controls/access/subject.ts';
import { RELATIONS, type Relation } from '../test/support/access-fixture.ts';
import { percentile } from './http-load.ts';

interface Matrix {
  patientActions: string[];
  roleActions: string[];
  sets: Record<string, string[]>;
  permit: Record<string, Record<string, string | string[]>>;
  rolePermit: Record<string, string[]>;
}

const MATRIX_FILE = new URL('../test/access/authorization-matrix.json', import.meta.url);

export interface LatencyFigures {
  samples: number;
  /** Nanoseconds, after subtracting the timer's own median cost. */
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
  /** Before the subtraction, so the correction is visible. */
  rawP50Ns: number;
  rawP99Ns: number;
}

export interface DecisionBenchResult {
  cells: { total: number; patientScoped: number; roleOnly: number; permits: number; roleSets: number; relations: number; combinedRoleSets: string[] };
  /** Median cost of one `process.hrtime.bigint()` pair with nothing between, subtracted from every figure. */
  timerOverheadNs: number;
  timerOverheadP99Ns: number;
  all: LatencyFigures;
  patientScoped: LatencyFigures;
  roleOnly: LatencyFigures;
  tokenVerify: LatencyFigures;
  tokenVerifySeconds: number;
  seconds: number;
}

interface Cell {
  input: DecisionInput;
  patientScoped: boolean;
  expectPermit: boolean;
  label: string;
}

const NORTH = '01900000-0000-7000-8000-00000000000a';
const SOUTH = '01900000-0000-7000-8000-00000000000b';

/** What loadPatientRelation returns for each patient of the fixture, seen by a fixture person (team A, at North). */
function relationFor(relation: Relation, index: number): PatientRelation {
  const patientId = `01900000-0000-7000-8000-0000000001${String(index).padStart(2, '0')}`;
  const base: PatientRelation = { patientId, exists: true, securityLabels: [], facilityIds: [NORTH], activeEncounterFacilityIds: [NORTH], inCare: true, coverage: 'none', breakGlass: null };
  switch (relation) {
    case 'own-team':
      return base;
    case 'own-team-no-encounter':
      return { ...base, activeEncounterFacilityIds: [] };
    case 'other-team':
      return { ...base, inCare: false };
    case 'covering-in-window':
      return { ...base, inCare: false, coverage: 'active' };
    case 'covering-after-window':
      return { ...base, inCare: false, coverage: 'ended' };
    case 'other-facility':
      return { ...base, facilityIds: [SOUTH], activeEncounterFacilityIds: [SOUTH] };
    case 'sensitive-label':
      return { ...base, securityLabels: ['PSY'] };
    case 'break-glass-active':
      return { ...base, inCare: false, breakGlass: { grantId: randomUUID(), expiresAt: new Date(Date.now() + 3_600_000) } };
  }
}

function personWith(roleSet: string, index: number): PersonSubject {
  const id = `01900000-0000-7000-8000-0000000002${String(index).padStart(2, '0')}`;
  return {
    kind: 'person',
    id,
    username: roleSet.replace(/\+/g, '.'),
    displayName: `Bench ${roleSet}`,
    roles: roleSet.split('+'),
    organizationId: '01900000-0000-7000-8000-000000000001',
    facilityIds: [NORTH],
    sessionId: randomUUID(),
    sessionKind: 'api',
    mfaAt: null,
  };
}

/** Every cell of the matrix, checked against the matrix's expected decision before anything is timed. */
export function matrixCells(): Cell[] {
  const matrix = JSON.parse(readFileSync(MATRIX_FILE, 'utf8')) as Matrix;
  const roleSets = Object.keys(matrix.permit);
  // The policy file is the source of roles; a role the matrix forgot would be missing from the mix.
  const missing = ROLES.filter((r) => !roleSets.includes(r));
  if (missing.length > 0) throw new Error(`the authorization matrix has no row for role(s) ${missing.join(', ')}; add them to test/access/authorization-matrix.json`);
  const relations = RELATIONS.map((r, i) => [r, relationFor(r, i)] as const);
  const cells: Cell[] = [];
  roleSets.forEach((roleSet, i) => {
    const subject = personWith(roleSet, i);
    for (const [relation, patient] of relations) {
      const cell = matrix.permit[roleSet]?.[relation] ?? [];
      const permitted = new Set(typeof cell === 'string' ? (matrix.sets[cell] ?? []) : cell);
      for (const action of matrix.patientActions) {
        cells.push({ input: { subject, action, patient }, patientScoped: true, expectPermit: permitted.has(action), label: `${roleSet} × ${relation} × ${action}` });
      }
    }
    for (const action of matrix.roleActions) {
      cells.push({ input: { subject, action }, patientScoped: false, expectPermit: (matrix.rolePermit[roleSet] ?? []).includes(action), label: `${roleSet} × ${action}` });
    }
  });
  const wrong = cells.filter((c) => decide(c.input).permit !== c.expectPermit);
  if (wrong.length > 0) {
    // Timing a mix that does not decide like the real routes would measure the wrong paths through decide().
    throw new Error(
      `decide() over the in-memory relations disagrees with the authorization matrix in ${wrong.length} cell(s) (first: ${wrong[0]!.label}); ` +
        'either bench/access-decisions.ts builds a relation differently from relations.ts, or the matrix and the policy disagree (the matrix test says which)',
    );
  }
  return cells;
}

/** Deterministic shuffle, so consecutive calls do not walk one role's cells in order and every run times the same mix. */
function shuffled<T>(items: readonly T[], seed = 0x5eed): T[] {
  const out = [...items];
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function summarise(samples: Float64Array, overheadNs: number): LatencyFigures {
  const sorted = Array.from(Float64Array.from(samples).sort());
  const net = (v: number) => Math.max(0, v - overheadNs);
  return {
    samples: sorted.length,
    p50Ns: net(percentile(sorted, 0.5)),
    p99Ns: net(percentile(sorted, 0.99)),
    p999Ns: net(percentile(sorted, 0.999)),
    maxNs: net(sorted[sorted.length - 1] ?? Number.NaN),
    rawP50Ns: percentile(sorted, 0.5),
    rawP99Ns: percentile(sorted, 0.99),
  };
}

/** The cost of the timer itself, measured exactly as the decisions are (a pair of reads, the difference kept). */
function timerOverhead(n: number): Float64Array {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    samples[i] = Number(t1 - t0);
  }
  return samples;
}

/**
 * An access token shaped like Vigil's (EdDSA, typ at+jwt, kid, iss, aud, sub, sid, jti, 10-minute life), verified
 * with the options AccessTokens.verify passes. The key comes from a function, as there, but from memory: Vigil caches
 * its token keys, so a request does not read them from the database either.
 */
async function tokenVerifier(): Promise<() => Promise<unknown>> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const iat = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ kind: 'person', sid: randomUUID() })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'bench-token-key' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + 600)
    .setJti(randomUUID())
    .sign(privateKey);
  const keyFor = async (): Promise<KeyObject> => publicKey;
  return () =>
    jwtVerify(token, keyFor, {
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      maxTokenAge: MAX_TTL_SECONDS + 5,
      clockTolerance: 5,
    });
}

export interface DecisionBenchOptions {
  /** Decisions timed individually (the goal asks for at least a million). */
  decisions: number;
  /** Upper bound on the token-verification peer. */
  tokenSeconds: number;
}

export async function runDecisionBench(options: DecisionBenchOptions): Promise<DecisionBenchResult> {
  const began = performance.now();
  const cells = shuffled(matrixCells());
  const inputs = cells.map((c) => c.input);
  const kinds = Uint8Array.from(cells, (c) => (c.patientScoped ? 1 : 0));
  const n = Math.max(options.decisions, cells.length);

  // Warm-up until the optimising compiler has settled on decide(); the measured loop is then the steady state a
  // long-running server is in.
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += decide(inputs[i % inputs.length]!).permit ? 1 : 0;
  timerOverhead(200_000);

  const overhead = timerOverhead(n);
  const overheadSorted = Array.from(Float64Array.from(overhead).sort());
  const overheadNs = percentile(overheadSorted, 0.5);

  const samples = new Float64Array(n);
  const len = inputs.length;
  for (let i = 0; i < n; i++) {
    const input = inputs[i % len]!;
    const t0 = process.hrtime.bigint();
    const decision = decide(input);
    const t1 = process.hrtime.bigint();
    samples[i] = Number(t1 - t0);
    // Keeps the result alive so the call cannot be optimised away.
    if (decision.permit) sink++;
  }
  const scoped: number[] = [];
  const roleOnly: number[] = [];
  for (let i = 0; i < n; i++) (kinds[i % len] === 1 ? scoped : roleOnly).push(samples[i]!);

  const verify = await tokenVerifier();
  for (let i = 0; i < 500; i++) await verify();
  const tokenStarted = performance.now();
  const tokenSamples: number[] = [];
  const tokenLimitMs = options.tokenSeconds * 1000;
  // Bounded by time and by count: one verification costs tens of microseconds, a million would take a minute.
  while (tokenSamples.length < 1000 || (performance.now() - tokenStarted < tokenLimitMs && tokenSamples.length < 200_000)) {
    const t0 = process.hrtime.bigint();
    await verify();
    const t1 = process.hrtime.bigint();
    tokenSamples.push(Number(t1 - t0));
  }
  const tokenVerifySeconds = (performance.now() - tokenStarted) / 1000;
  // Never true: reading the sum once keeps every decision's result observable to the compiler.
  if (sink < 0) console.log(sink);

  return {
    cells: {
      total: cells.length,
      patientScoped: cells.filter((c) => c.patientScoped).length,
      roleOnly: cells.filter((c) => !c.patientScoped).length,
      permits: cells.filter((c) => c.expectPermit).length,
      roleSets: new Set(cells.map((c) => (c.input.subject as PersonSubject).id)).size,
      combinedRoleSets: [...new Set(cells.map((c) => c.input.subject.kind === 'person' ? c.input.subject.roles.join('+') : ''))].filter((r) => r.includes('+')),
      relations: RELATIONS.length,
    },
    timerOverheadNs: overheadNs,
    timerOverheadP99Ns: percentile(overheadSorted, 0.99),
    all: summarise(samples, overheadNs),
    patientScoped: summarise(Float64Array.from(scoped), overheadNs),
    roleOnly: summarise(Float64Array.from(roleOnly), overheadNs),
    tokenVerify: summarise(Float64Array.from(tokenSamples), overheadNs),
    tokenVerifySeconds,
    seconds: (performance.now() - began) / 1000,
  };
}
