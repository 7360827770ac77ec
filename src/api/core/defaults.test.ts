import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPod, defaultPodTemplateSpec, imageTag } from './defaults-pod.js';
import { defaultService, portsNeedingNodePort } from './service.js';
import { resources } from './index.js';

const type = (resource: string) => resources.find((r) => r.resource === resource)!;

test('pod spec defaults follow SetDefaults_PodSpec and SetDefaults_Container', () => {
  const pod: any = {
    metadata: { name: 'p', namespace: 'default' },
    spec: {
      containers: [{
        name: 'web', image: 'nginx', ports: [{ containerPort: 80 }],
        resources: { limits: { cpu: '1' } },
        livenessProbe: { httpGet: { port: 80 } },
      }],
      volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'host', hostPath: { path: '/x' } }, { name: 'scratch' }],
    },
  };
  defaultPod(pod);
  const spec = pod.spec;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.deepEqual(spec.securityContext, {});
  assert.equal(spec.enableServiceLinks, true);
  const c = spec.containers[0];
  assert.equal(c.imagePullPolicy, 'Always');
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.ports[0].protocol, 'TCP');
  assert.deepEqual(c.resources.requests, { cpu: '1' });
  assert.deepEqual(c.livenessProbe, {
    httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
  });
  assert.equal(spec.volumes[0].configMap.defaultMode, 420);
  assert.equal(spec.volumes[1].hostPath.type, '');
  assert.deepEqual(spec.volumes[2].emptyDir, {});
});

test('image pull policy depends on the tag', () => {
  assert.equal(imageTag('nginx'), 'latest');
  assert.equal(imageTag('nginx:1.27'), '1.27');
  assert.equal(imageTag('localhost:5000/app'), 'latest');
  assert.equal(imageTag('app@sha256:abc'), '');
  const pod: any = { metadata: {}, spec: { containers: [{ name: 'a', image: 'nginx:1.27' }, { name: 'b', image: 'nginx:latest' }] } };
  defaultPod(pod);
  assert.equal(pod.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.equal(pod.spec.containers[1].imagePullPolicy, 'Always');
});

test('pod templates get PodSpec defaults but not the pod-only ones', () => {
  const template: any = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'a', image: 'x:1', resources: { limits: { cpu: '1' } } }] } };
  defaultPodTemplateSpec(template);
  assert.equal(template.spec.restartPolicy, 'Always');
  assert.equal(template.spec.enableServiceLinks, undefined);
  assert.equal(template.spec.containers[0].resources.requests, undefined);
});

test('service defaults', () => {
  const svc: any = { metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } };
  defaultService(svc);
  assert.equal(svc.spec.sessionAffinity, 'None');
  assert.equal(svc.spec.ports[0].protocol, 'TCP');
  assert.equal(svc.spec.ports[0].targetPort, 80);
  assert.equal(svc.spec.ports[1].targetPort, 'dns');
  assert.equal(svc.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(svc.spec.internalTrafficPolicy, 'Cluster');
  assert.deepEqual(portsNeedingNodePort(svc.spec), [0, 1]);
  const plain: any = { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } };
  defaultService(plain);
  assert.equal(plain.spec.type, 'ClusterIP');
  assert.equal(plain.spec.externalTrafficPolicy, undefined);
  assert.deepEqual(portsNeedingNodePort(plain.spec), []);
});

test('namespace, secret, pvc, pv and rc defaults and create preparation', () => {
  const ns: any = { metadata: { name: 'team' } };
  type('namespaces').defaults!(ns);
  type('namespaces').prepareForCreate!(ns);
  assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'team');
  assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
  assert.equal(ns.status.phase, 'Active');

  const secret: any = { metadata: { name: 's' } };
  type('secrets').defaults!(secret);
  assert.equal(secret.type, 'Opaque');

  const pvc: any = { metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  type('persistentvolumeclaims').defaults!(pvc);
  assert.equal(pvc.spec.volumeMode, 'Filesystem');
  assert.equal(pvc.status.phase, 'Pending');

  const pv: any = { metadata: { name: 'v' }, spec: { hostPath: { path: '/d' } } };
  type('persistentvolumes').defaults!(pv);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');

  const rc: any = { metadata: { name: 'r' }, spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'a', image: 'x' }] } } } };
  type('replicationcontrollers').defaults!(rc);
  assert.deepEqual(rc.spec.selector, { app: 'x' });
  assert.deepEqual(rc.metadata.labels, { app: 'x' });
  assert.equal(rc.spec.replicas, 1);
});
