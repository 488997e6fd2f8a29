import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The FHIR import bench's payloads: the Synthea patient transaction Bundles of the shared corpus (one patient with
 * encounters, observations, conditions, claims…, 60 to 80 entries, about 250 KB each), posted again and again as new
 * patients. Each copy gets fresh ids (every UUID in the text, consistently, so references inside the Bundle still
 * resolve) and its patient's identifiers (SSN, licence, passport) a suffix of their own, so no copy is a repeat to the
 * gateway's dedupe or the same person to the patient index.
 */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const IS_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MARK = '\u0001';

interface Template {
  name: string;
  /** The Bundle's text with the patient's own identifier values replaced by MARK<n>MARK. */
  text: string;
  identifiers: string[];
  entries: number;
  /** The file's text as it is. */
  original: string;
}

export interface BundleCopy {
  body: string;
  /** Entries in the Bundle: the resources it delivers. */
  entries: number;
}

function corpusDir(): string {
  for (const dir of ['../shared/corpus/fhir', 'test/fixtures/fhir']) if (existsSync(dir)) return dir;
  throw new Error('no FHIR corpus found (../shared/corpus/fhir or test/fixtures/fhir)');
}

function template(file: string): Template {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const bundle = JSON.parse(text) as { entry?: { resource?: { resourceType?: string; identifier?: { value?: unknown }[] } }[] };
  const entries = bundle.entry?.length ?? 0;
  const patient = bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource;
  const identifiers = [...new Set((patient?.identifier ?? []).map((i) => i.value).filter((v): v is string => typeof v === 'string' && !IS_UUID.test(v) && v.length >= 4))];
  let marked = text;
  identifiers.forEach((value, i) => (marked = marked.split(`"${value}"`).join(`"${MARK}${i}${MARK}"`)));
  return { name: file, text: marked, identifiers, entries, original: text };
}

export class BundleSupply {
  private readonly templates: Template[];
  private copies = 0;

  constructor() {
    const dir = corpusDir();
    const files = readdirSync(dir).filter((f) => /^synthea_r4_.*\.json$/.test(f) && !/Information/.test(f)).sort();
    this.templates = files.map((f) => template(join(dir, f))).filter((t) => t.entries > 0);
    if (this.templates.length === 0) throw new Error(`no Synthea patient bundles in ${dir}`);
  }

  /** Names and entry counts of the Bundles copied, for the report. */
  describe(): { files: number; meanEntries: number; meanBytes: number } {
    const n = this.templates.length;
    return { files: n, meanEntries: this.templates.reduce((s, t) => s + t.entries, 0) / n, meanBytes: this.templates.reduce((s, t) => s + Buffer.byteLength(t.text), 0) / n };
  }

  /** A new copy: the next template with fresh ids and identifiers. */
  next(): BundleCopy {
    const t = this.templates[this.copies % this.templates.length]!;
    const tag = (this.copies++).toString(36).toUpperCase();
    const fresh = new Map<string, string>();
    const body = t.text
      .replace(UUID, (id) => {
        let next = fresh.get(id);
        if (!next) fresh.set(id, (next = randomUUID()));
        return next;
      })
      .replace(new RegExp(`${MARK}(\\d+)${MARK}`, 'g'), (_, i: string) => `${t.identifiers[Number(i)]}-${tag}`);
    return { body, entries: t.entries };
  }

  /** The Bundles as they are, for the JSON.parse peer. */
  originals(): BundleCopy[] {
    return this.templates.map((t) => ({ body: t.original, entries: t.entries }));
  }
}
