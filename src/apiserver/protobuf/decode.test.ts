/**
 * Protobuf bodies captured from the real kubectl v1.32 (`kubectl create …
 * -v=9` prints them), decoded into the JSON kubectl would have sent.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKubernetesProtobuf, decodeMessage } from './decode.js';
import { isStatusError } from '../../machinery/status.js';

const hex = (text: string) => Buffer.from(text, 'hex');

/** `kubectl create secret generic cap2 --from-literal=k=v` */
const secretBody =
    '6b3873000a0c0a027631120653656372657412200a140a046361703212001a0022002a0032003800420012060a016b12' +
    '01761a001a002200';

/** `kubectl create deployment capd --image=nginx:1.27 --replicas=0 --port=8080` */
const deploymentBody =
    '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c2010a210a046361706412001a0022002a003200' +
    '380042005a0b0a03617070120463617064128e010800120d0a0b0a036170701204636170641a730a1d0a0012001a0022' +
    '002a003200380042005a0b0a03617070120463617064125212340a056e67696e78120a6e67696e783a312e32372a0032' +
    '0b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201' +
    '008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200';

/** `kubectl create service nodeport caps --tcp=80:http` */
const serviceBody =
    '6b3873000a0d0a027631120753657276696365126e0a210a046361707312001a0022002a003200380042005a0b0a0361' +
    '707012046361707312450a1e0a0738302d6874747012035443501850220a080110001a04687474702800120b0a036170' +
    '701204636170731a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200';

describe('Kubernetes protobuf request bodies', () => {
  it('decodes a Secret: bytes become base64, empty strings are dropped', () => {
    const { apiVersion, kind, object } = decodeKubernetesProtobuf(hex(secretBody));
    assert.equal(apiVersion, 'v1');
    assert.equal(kind, 'Secret');
    assert.deepEqual(object, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cap2' }, data: { k: Buffer.from('v').toString('base64') } });
  });

  it('decodes a Deployment: pointer zeros stay (replicas: 0), nested templates and ports', () => {
    const { object } = decodeKubernetesProtobuf(hex(deploymentBody));
    assert.deepEqual(object, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'capd', labels: { app: 'capd' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'capd' } },
        template: {
          metadata: { labels: { app: 'capd' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 8080 }], resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    });
  });

  it('decodes a Service: a named targetPort is an IntOrString string', () => {
    const { object } = decodeKubernetesProtobuf(hex(serviceBody));
    const spec = object.spec as { ports: { targetPort: unknown; port: number }[]; type: string };
    assert.equal(spec.type, 'NodePort');
    assert.deepEqual(spec.ports, [{ name: '80-http', protocol: 'TCP', port: 80, targetPort: 'http' }]);
  });

  it('turns Time into RFC 3339 and omits Go zero times', () => {
    // ObjectMeta { name: "a" (1), creationTimestamp (8): Time { seconds: 1700000000 } }
    const seconds = [0x80, 0xe2, 0xcf, 0xaa, 0x06]; // varint 1700000000
    const time = [0x08, ...seconds];
    const meta = Uint8Array.from([0x0a, 0x01, 0x61, 0x42, time.length, ...time]);
    assert.deepEqual(decodeMessage('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta', meta), { name: 'a', creationTimestamp: '2023-11-14T22:13:20Z' });
    const zero = Uint8Array.from([0x0a, 0x01, 0x61, 0x42, 0x00]);
    assert.deepEqual(decodeMessage('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta', zero), { name: 'a' });
  });

  it('reads negative int32 values', () => {
    // ContainerPort { containerPort (3): -1 } as a ten-byte varint
    const bytes = Uint8Array.from([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert.deepEqual(decodeMessage('k8s.io.api.core.v1.ContainerPort', bytes), { containerPort: -1 });
  });

  it('rejects what is not Kubernetes protobuf with a 400', () => {
    assert.throws(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Secret"}')), (err) => isStatusError(err, 'BadRequest'));
    assert.throws(() => decodeKubernetesProtobuf(hex(secretBody).subarray(0, 30)), (err) => isStatusError(err, 'BadRequest'));
    // An envelope naming a kind skiff does not know.
    const unknownKind = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x07, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x01, 0x58]);
    assert.throws(() => decodeKubernetesProtobuf(unknownKind), /no kind "X" is registered/);
  });
});
