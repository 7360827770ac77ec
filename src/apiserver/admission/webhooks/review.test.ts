/** Answers, denials and patches, table-tested after upstream's request and errors packages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rejectionStatus } from './errors.js';
import { applyWebhookPatch, decodeJsonPatch, maxCopyBytes } from './patch.js';
import { decodeAdmissionReview, reviewVersionFor, verifyAdmissionResponse } from './review.js';

describe('reviewVersionFor', () => {
  it('takes the first version the apiserver can send', () => {
    assert.equal(reviewVersionFor(['v1', 'v1beta1']), 'v1');
    assert.equal(reviewVersionFor(['v1beta1', 'v1']), 'v1beta1');
    assert.equal(reviewVersionFor(['v2', 'v1beta1']), 'v1beta1');
    assert.equal(reviewVersionFor(['v2']), undefined);
  });
});

describe('verifyAdmissionResponse (upstream admissionreview_test.go)', () => {
  const uid = '123';
  const review = (response: unknown, typeMeta = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }) => decodeAdmissionReview({ ...typeMeta, response });
  const patch = Buffer.from('[]').toString('base64');

  it('v1: checks uid, kind, and the pairing of patch and patchType', () => {
    const cases: [unknown, boolean, string | undefined][] = [
      [{ uid, allowed: true }, true, undefined],
      [undefined, true, 'webhook response was absent'],
      [{ uid: '456', allowed: true }, true, 'expected response.uid="123", got "456"'],
      [{ uid, allowed: true, patch }, true, 'webhook returned response.patch but not response.patchType'],
      [{ uid, allowed: true, patchType: 'JSONPatch' }, true, 'webhook returned response.patchType but not response.patch'],
      [{ uid, allowed: true, patch, patchType: '' }, true, 'webhook returned invalid response.patchType of ""'],
      [{ uid, allowed: true, patch, patchType: 'JSONPatch' }, true, undefined],
      [{ uid, allowed: true, patch }, false, 'validating webhook may not return response.patch'],
      [{ uid, allowed: true, patchType: 'JSONPatch' }, false, 'validating webhook may not return response.patchType'],
    ];
    for (const [response, mutating, error] of cases) {
      const verify = () => verifyAdmissionResponse('v1', uid, mutating, review(response));
      if (error) assert.throws(verify, { message: error }, JSON.stringify(response));
      else assert.doesNotThrow(verify, JSON.stringify(response));
    }
    assert.throws(() => verifyAdmissionResponse('v1', uid, false, review({ uid, allowed: true }, { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' })), {
      message: 'expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1beta1, Kind=AdmissionReview',
    });
  });

  it('v1beta1: no uid or kind check; a patch is a JSON patch; a validating webhook\'s patch is ignored', () => {
    const beta = { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' };
    const mutated = verifyAdmissionResponse('v1beta1', uid, true, review({ uid: 'other', allowed: true, patch }, beta));
    assert.equal(mutated.patchType, 'JSONPatch');
    assert.equal(mutated.patch.toString(), '[]');
    assert.equal(verifyAdmissionResponse('v1beta1', uid, false, review({ allowed: true, patch }, beta)).patch.length, 0);
  });

  it('decodes as Go would, naming wrong types and bad base64', () => {
    const cases: [unknown, string][] = [
      [{ uid: 1 }, 'json: cannot unmarshal number into Go struct field AdmissionResponse.response.uid of type types.UID'],
      [{ warnings: 'one' }, 'json: cannot unmarshal string into Go struct field AdmissionResponse.response.warnings of type []string'],
      [{ auditAnnotations: { a: 1 } }, 'json: cannot unmarshal number into Go struct field AdmissionResponse.response.auditAnnotations of type string'],
      [{ status: { code: 'x' } }, 'json: cannot unmarshal string into Go struct field Status.response.status.code of type int32'],
      [{ patch: 'a*bc' }, 'illegal base64 data at input byte 1'],
      [{ patch: 'abcde' }, 'illegal base64 data at input byte 4'],
    ];
    for (const [response, message] of cases) assert.throws(() => review(response), { message }, JSON.stringify(response));
    assert.throws(() => decodeAdmissionReview([]), { message: 'json: cannot unmarshal array into Go value of type v1.AdmissionReview' });
  });
});

describe('rejectionStatus (upstream statuserror_test.go)', () => {
  const deniedBy = 'admission webhook "foo" denied the request';
  const cases: [string, Record<string, unknown> | undefined, number, string, string | undefined][] = [
    ['nil result', undefined, 400, `${deniedBy} without explanation`, undefined],
    ['only message', { message: 'you shall not pass' }, 400, `${deniedBy}: you shall not pass`, undefined],
    ['only reason', { reason: 'Forbidden' }, 400, `${deniedBy}: Forbidden`, 'Forbidden'],
    ['message and reason', { message: 'you shall not pass', reason: 'Forbidden', code: 403 }, 403, `${deniedBy}: you shall not pass`, 'Forbidden'],
    ['no message, no reason', {}, 400, `${deniedBy} without explanation`, undefined],
    ['500 error', { code: 500, message: 'internal error' }, 500, `${deniedBy}: internal error`, undefined],
    ['a code no client can read', { code: 1000, message: 'odd' }, 500, `${deniedBy}: odd`, undefined],
  ];
  for (const [name, result, code, message, reason] of cases) {
    it(name, () => {
      const err = rejectionStatus('foo', result);
      assert.equal(err.code, code);
      assert.equal(err.message, message);
      assert.equal(err.status.message, message);
      assert.equal(err.status.status, 'Failure');
      assert.equal(err.status.reason, reason);
    });
  }
});

describe('webhook patches', () => {
  it('decodes only a list of operations', () => {
    assert.deepEqual(decodeJsonPatch(Buffer.from('[{"op":"remove","path":"/a"}]')), [{ op: 'remove', path: '/a' }]);
    assert.throws(() => decodeJsonPatch(Buffer.from('{"op":"remove"}')), { message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' });
    assert.throws(() => decodeJsonPatch(Buffer.from('[')));
    assert.throws(() => decodeJsonPatch(Buffer.from('['.repeat(20_000))), { message: 'exceeded max depth' });
  });

  it('applies add, copy and move in order, measuring each copy against the document as it is then', () => {
    const doc = { metadata: { name: 'a' }, spec: {} };
    const result = applyWebhookPatch(doc, [
      { op: 'add', path: '/spec/x', value: { v: 1 } },
      { op: 'copy', from: '/spec/x', path: '/spec/y' },
      { op: 'move', from: '/spec/y', path: '/spec/z' },
      { op: 'copy', from: '/spec/z', path: '/spec/w' },
    ]);
    assert.deepEqual(result, { metadata: { name: 'a' }, spec: { x: { v: 1 }, z: { v: 1 }, w: { v: 1 } } });
    assert.deepEqual(doc, { metadata: { name: 'a' }, spec: {} }, 'the input is not changed');
  });

  it('refuses copies that together add more than the limit, even when each is small', () => {
    const chunk = 'x'.repeat(200 * 1024);
    const operations: unknown[] = [{ op: 'add', path: '/a', value: chunk }];
    for (let i = 0; i < 20; i++) operations.push({ op: 'copy', from: '/a', path: `/c${i}` });
    assert.throws(() => applyWebhookPatch({}, operations), (err: Error) => err.message.endsWith(`exceeding the limit ${maxCopyBytes}`));
  });

  it('an exponential copy chain stops at the limit instead of growing the object', () => {
    const operations: unknown[] = [{ op: 'add', path: '/a', value: { s: 'x'.repeat(1024) } }];
    for (let i = 0; i < 40; i++) operations.push({ op: 'copy', from: '/a', path: `/a/n${i}` });
    assert.throws(() => applyWebhookPatch({}, operations), /Unable to complete the copy/);
  });
});
