import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImageGarbageCollector } from './image-gc.js';
import type { ImageFsUsage, ImageInfo, ImageService } from './images/types.js';

/** Images of given sizes on a disk of 1,000 bytes; removing one frees its size. */
function fakeImages(images: { id: string; size: number; lastUsed: number }[], otherUse: number) {
  const held = new Map(images.map((i) => [i.id, { ...i, repoTags: [`t/${i.id}:1`], repoDigests: [], config: {}, layers: [] } as ImageInfo]));
  const service: ImageService = {
    pullImage: async () => {
      throw new Error('not here');
    },
    imageStatus: async (ref) => [...held.values()].find((i) => i.id === ref),
    listImages: async () => [...held.values()],
    removeImage: async (id) => void held.delete(id),
    imageFsUsage: async (): Promise<ImageFsUsage> => {
      const imageBytes = [...held.values()].reduce((sum, i) => sum + i.size, 0);
      return { capacityBytes: 1000, usedBytes: otherUse + imageBytes, availableBytes: 1000 - otherUse - imageBytes, imageBytes };
    },
  };
  return { service, held };
}

describe('image garbage collection (the kubelet thresholds)', () => {
  const clock = { now: 1_000_000 };
  const later = () => (clock.now += 3 * 60_000);

  it('does nothing below the high threshold (85 %)', async () => {
    const { service, held } = fakeImages([{ id: 'a', size: 100, lastUsed: 1 }], 700);
    const gc = new ImageGarbageCollector(service, async () => new Set(), () => clock.now, () => assert.fail('no event'));
    later();
    assert.deepEqual(await gc.collect(), { wanted: 0, freed: 0, removed: [] });
    assert.equal(held.size, 1);
  });

  it('above it, removes unused images least recently used first, down to the low threshold (80 %); images in use and young ones stay', async () => {
    // 500 bytes of other files + 400 of images = 90 %: 100 bytes must go to reach 80 %.
    const { service, held } = fakeImages(
      [
        { id: 'newest', size: 60, lastUsed: 30 },
        { id: 'oldest', size: 60, lastUsed: 10 },
        { id: 'middle', size: 60, lastUsed: 20 },
        { id: 'used', size: 220, lastUsed: 0 },
      ],
      500,
    );
    const events: string[] = [];
    const gc = new ImageGarbageCollector(service, async () => new Set(['used']), () => clock.now, (reason) => events.push(reason));
    assert.deepEqual((await gc.collect()).removed, [], 'all first seen just now: too young');
    assert.deepEqual(events, ['FreeDiskSpaceFailed'], 'and it says it could not free enough');
    later();
    const result = await gc.collect();
    assert.deepEqual(result, { wanted: 100, freed: 120, removed: ['oldest', 'middle'] });
    assert.equal(events.length, 1, 'enough freed: no new event');
    assert.deepEqual([...held.keys()].sort(), ['newest', 'used']);
  });

  it("says when it cannot free enough, in upstream's words", async () => {
    const { service } = fakeImages([{ id: 'used', size: 400, lastUsed: 0 }, { id: 'small', size: 10, lastUsed: 0 }], 500);
    const events: string[] = [];
    const gc = new ImageGarbageCollector(service, async () => new Set(['used']), () => clock.now, (reason, message) => events.push(`${reason}: ${message}`));
    await gc.collect();
    later();
    await gc.collect();
    assert.deepEqual(events.slice(-1), ['FreeDiskSpaceFailed: Failed to garbage collect required amount of images. Attempted to free 110 bytes, but only found 10 bytes eligible to free.']);
  });
});
