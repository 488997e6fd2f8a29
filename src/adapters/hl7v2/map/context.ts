import type { MergeInput, PatientGroup } from '../../../model/clinical.ts';
import type { QualityFlag } from '../../../model/quality.ts';
import type { SourceProfile } from '../../source-profile.ts';
import type { KeyRegistry } from './keys.ts';
import type { Located } from './segments.ts';

export interface MapContext {
  profile: SourceProfile;
  /** Gateway source id: names the source's local code systems (`urn:vigil:source:<id>:codes:…`). */
  sourceId: string;
  /** The clock, passed in so mapping stays a pure function (birth dates in the future are judged against it). */
  now: Date;
}

/** What each event's mapper receives: the message's segments with their positions, and what is shared across groups. */
export interface EventInput {
  segments: readonly Located[];
  ctx: MapContext;
  keys: KeyRegistry;
  /** Message-level flags (NormalizedMessage.flags). */
  flags: QualityFlag[];
}

export interface EventOutput {
  groups: PatientGroup[];
  merges: MergeInput[];
}
