import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dedupeQuality } from '../../../bench/identity/metrics.ts';
import { syntheticIdentitySet } from '../../../bench/identity/synthetic-set.ts';
import { dedupe } from './index.ts';

// A quality assertion on a labelled synthetic set (bench/identity/synthetic-set.ts), not a timing one. The model was
// fitted on seed 101; this seed is not that one.
describe('matching quality on a labelled synthetic set', () => {
  it('meets the goals: precision of automatic links ≥ 0.995, F1 with the review queue resolved ≥ 0.98', () => {
    const set = syntheticIdentitySet({ records: 6000, seed: 20261126 });
    const result = dedupe(set.records);
    const q = dedupeQuality(set.records.map((r) => r.id), result, set.personOf);
    const summary = `auto P ${q.auto.precision.toFixed(4)} R ${q.auto.recall.toFixed(4)}; review ${q.reviewQueue}; with review F1 ${q.withReview.f1.toFixed(4)}`;
    assert.ok(q.auto.truePairs > 3000, summary);
    assert.ok(q.auto.precision >= 0.995, summary);
    assert.ok(q.withReview.f1 >= 0.98, summary);
    assert.ok(q.auto.recall >= 0.85, summary);
  });
});
