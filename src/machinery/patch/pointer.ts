/**
 * JSON Pointers (RFC 6901): `/spec/containers/0/image`. `~1` stands for `/`
 * and `~0` for `~` inside a segment, so keys like `app.kubernetes.io/name`
 * are written `/metadata/labels/app.kubernetes.io~1name`.
 */
import { malformedPatch } from './errors.js';

export function parsePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw malformedPatch(`invalid JSON pointer: ${JSON.stringify(pointer)}`);
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw malformedPatch(`invalid JSON pointer "${pointer}": it must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}
