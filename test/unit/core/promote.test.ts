import { describe, expect, it } from 'vitest';
import { choosePromotion, pinnedImage, sourceTable, type SourceFacts } from '../../../src/core/promote.ts';

/** Which digest a promotion takes from its source clusters, and when it refuses. */
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const T0 = new Date('2026-12-01T08:00:00Z');
const T1 = new Date('2026-12-02T09:30:00Z');

function src(cluster: string, region: string, over: Partial<SourceFacts> = {}): SourceFacts {
  return { cluster, region, image: 'registry.example.com/web:v2', digests: [D1], problem: undefined, since: T0, ...over };
}

const GZ = { cluster: 'gz-prod', region: 'gz' };
const NJ = { cluster: 'nj-prod', region: 'nj' };
const HK = { cluster: 'hk-prod', region: 'hk' };

describe('choosePromotion', () => {
  it.each([
    ['both regions on one digest', [GZ, NJ], [src('gz', 'gz'), src('nj', 'nj', { since: T1 })], { digest: D1, sources: ['gz', 'nj'], since: T1 }],
    ['a target region without a source takes what all sources agree on', [HK], [src('gz', 'gz'), src('nj', 'nj')], { digest: D1, sources: ['gz', 'nj'], since: T0 }],
    ['cluster=gz takes only its region, whatever nj runs', [GZ], [src('gz', 'gz'), src('nj', 'nj', { digests: [D2], problem: 'its probe fails' })], { digest: D1, sources: ['gz'], since: T0 }],
    ['nj alone takes nj', [NJ], [src('gz', 'gz'), src('nj', 'nj', { digests: [D2], image: 'registry.example.com/web:v3' })], { digest: D2, sources: ['nj'], since: T0 }],
  ])('%s', (_name, targets, sources, want) => {
    const c = choosePromotion('staging', targets, sources);
    expect(c.ok ? { digest: c.value.digest, sources: c.value.sources.map((s) => s.cluster), since: c.value.since } : c.reason).toEqual(want);
  });

  it.each([
    ['the two regions run different digests', [GZ, NJ], [src('gz', 'gz'), src('nj', 'nj', { digests: [D2] })], 'staging runs different images on gz and nj'],
    ['no source region and the sources disagree', [HK], [src('gz', 'gz'), src('nj', 'nj', { digests: [D2] })], 'staging runs different images on gz and nj'],
    ['a source mid-rollout runs two digests', [GZ], [src('gz', 'gz', { digests: [D1, D2] })], 'staging is not on one image on gz: its pods run 2 different digests'],
    ['a source without digests', [GZ], [src('gz', 'gz', { digests: [] })], 'staging is not on one image on gz: its pods report no image digest'],
    ['an unhealthy source', [GZ, NJ], [src('gz', 'gz'), src('nj', 'nj', { problem: 'its probe fails: 500' })], 'staging is not healthy on nj: its probe fails: 500'],
    ['no source at all', [GZ], [], 'staging has no cluster running the app'],
  ])('refuses when %s', (_name, targets, sources, reason) => {
    const c = choosePromotion('staging', targets, sources);
    expect(c.ok ? c.value : c.reason).toContain(reason);
  });

  it('refuses with the table of what runs where', () => {
    const c = choosePromotion('staging', [GZ, NJ], [src('nj', 'nj', { digests: [D2], image: 'registry.example.com/web:v3', since: T1 }), src('gz', 'gz')]);
    expect(c.ok ? c.value : c.table).toEqual([
      'gz (gz): registry.example.com/web:v2 = sha256:111111111111…; healthy, since 2026-12-01 08:00 UTC',
      'nj (nj): registry.example.com/web:v3 = sha256:222222222222…; healthy, since 2026-12-02 09:30 UTC',
    ]);
  });

  it('pins the source image to the digest, keeping repository and tag', () => {
    const c = choosePromotion('staging', [GZ], [src('gz', 'gz', { image: `registry.example.com/web:v2@${D2}`, digests: [D1] })]);
    expect(c.ok ? c.value.image : c.reason).toBe(`registry.example.com/web:v2@${D1}`);
  });
});

describe('pinnedImage and sourceTable', () => {
  it.each([
    ['registry.example.com/web:v2', `registry.example.com/web:v2@${D1}`],
    [`registry.example.com/web@${D2}`, `registry.example.com/web@${D1}`],
    ['localhost:5000/team/web:probe-slow-5', `localhost:5000/team/web:probe-slow-5@${D1}`],
    ['not an image!', undefined],
  ])('%s → %s', (image, want) => {
    expect(pinnedImage(image, D1)).toBe(want);
  });

  it('says why a source is not healthy', () => {
    expect(sourceTable([src('gz', 'gz', { problem: 'its rollout is not complete (1 of 3 new pods updated)', digests: [D1, D2] })])).toEqual([
      'gz (gz): registry.example.com/web:v2 = sha256:111111111111… and sha256:222222222222…; its rollout is not complete (1 of 3 new pods updated)',
    ]);
  });
});
