import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerConfigError, defaultPath, imageProcess, type ImageProcessInput } from './image-process.js';
import { verifyRunAsNonRoot } from '../../security-context.js';
import { containerCapabilities, capabilityNumbers, defaultCapabilities, hiddenPaths, noNewPrivileges, SecurityError } from './security.js';

const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n';
const group = 'root:x:0:\napp:x:1000:\nwww:x:33:\naudio:x:29:app,web\nstaff:x:50:app\n';
const base: ImageProcessInput = { image: { entrypoint: ['/entry'], cmd: ['serve', '--port=80'], env: ['PATH=/image/bin', 'MODE=image'], workingDir: '/srv' }, env: {}, passwd, group };

describe('a container process from an image', () => {
  const commands: [string, Partial<ImageProcessInput>, string[]][] = [
    ['ENTRYPOINT + CMD by default', {}, ['/entry', 'serve', '--port=80']],
    ['args replace CMD', { args: ['check'] }, ['/entry', 'check']],
    ['command replaces ENTRYPOINT and drops CMD', { command: ['/bin/sh'] }, ['/bin/sh']],
    ['command and args', { command: ['/bin/sh', '-c'], args: ['echo hi'] }, ['/bin/sh', '-c', 'echo hi']],
    ['CMD alone when there is no ENTRYPOINT', { image: { cmd: ['sh'] } }, ['sh']],
  ];
  for (const [name, input, argv] of commands) it(name, () => assert.deepEqual(imageProcess({ ...base, ...input }).argv, argv));

  it('refuses a container with no command at all', () => {
    assert.throws(() => imageProcess({ ...base, image: {} }), new ContainerConfigError('no command specified'));
  });

  it("merges the environment: defaults, then the image's, then the pod's", () => {
    assert.deepEqual(imageProcess({ ...base, env: { MODE: 'pod', EXTRA: '1' } }).env, { PATH: '/image/bin', MODE: 'pod', EXTRA: '1' });
    assert.deepEqual(imageProcess({ ...base, image: { cmd: ['x'] } }).env, { PATH: defaultPath });
  });

  it("takes the pod's working directory, else the image's, else /", () => {
    assert.equal(imageProcess(base).workingDir, '/srv');
    assert.equal(imageProcess({ ...base, workingDir: '/tmp' }).workingDir, '/tmp');
    assert.equal(imageProcess({ ...base, image: { cmd: ['x'] } }).workingDir, '/');
  });

  const users: [string, Partial<ImageProcessInput>, { uid: number; gid: number; groups: number[] }][] = [
    ['root without USER', {}, { uid: 0, gid: 0, groups: [] }],
    ['USER by name, with its groups from /etc/group', { image: { cmd: ['x'], user: 'app' } }, { uid: 1000, gid: 1000, groups: [29, 50] }],
    ['USER uid:gid', { image: { cmd: ['x'], user: '33:50' } }, { uid: 33, gid: 50, groups: [29] }],
    ['USER name:group', { image: { cmd: ['x'], user: 'web:staff' } }, { uid: 33, gid: 50, groups: [29] }],
    ['a numeric USER the image does not know', { image: { cmd: ['x'], user: '4242' } }, { uid: 4242, gid: 0, groups: [] }],
    ['runAsUser replaces USER', { image: { cmd: ['x'], user: 'app' }, runAsUser: 33 }, { uid: 33, gid: 33, groups: [29] }],
    ['runAsGroup, supplementalGroups and fsGroup', { runAsUser: 5000, runAsGroup: 6000, supplementalGroups: [7000], fsGroup: 8000 }, { uid: 5000, gid: 6000, groups: [7000, 8000] }],
  ];
  for (const [name, input, user] of users) it(name, () => assert.deepEqual(imageProcess({ ...base, ...input }).user, user));

  it('says which user or group the image lacks', () => {
    assert.throws(() => imageProcess({ ...base, image: { cmd: ['x'], user: 'nobody' } }), /unable to find user nobody: no matching entries in passwd file/);
    assert.throws(() => imageProcess({ ...base, image: { cmd: ['x'], user: 'app:wheel' } }), /unable to find group wheel: no matching entries in group file/);
  });

  it("checks runAsNonRoot as the kubelet does, with its messages", () => {
    assert.match(verifyRunAsNonRoot('p', 'c', 0, 'app') ?? '', /^container's runAsUser breaks non-root policy \(pod: "p", container: c\)$/);
    assert.equal(verifyRunAsNonRoot('p', 'c', 1000, undefined), undefined);
    assert.match(verifyRunAsNonRoot('p', 'c', undefined, undefined) ?? '', /^container has runAsNonRoot and image will run as root/);
    assert.match(verifyRunAsNonRoot('p', 'c', undefined, '0:0') ?? '', /image will run as root/);
    assert.match(verifyRunAsNonRoot('p', 'c', undefined, 'app') ?? '', /image has non-numeric user \(app\), cannot verify user is non-root/);
    assert.equal(verifyRunAsNonRoot('p', 'c', undefined, '1000'), undefined);
  });
});

describe('container security settings', () => {
  const n = (names: string[]) => names.map((c) => capabilityNumbers[c]).sort((a, b) => a - b);
  it("keeps containerd's default capabilities, with drop before add", () => {
    assert.deepEqual(containerCapabilities(), n(defaultCapabilities));
    assert.deepEqual(containerCapabilities({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }), n(['NET_BIND_SERVICE']));
    assert.deepEqual(containerCapabilities({ capabilities: { drop: ['NET_RAW', 'CAP_MKNOD'] } }), n(defaultCapabilities.filter((c) => c !== 'NET_RAW' && c !== 'MKNOD')));
    assert.deepEqual(containerCapabilities({ capabilities: { add: ['SYS_TIME'] } }), n([...defaultCapabilities, 'SYS_TIME']));
    assert.equal(containerCapabilities({ privileged: true }).length, Object.keys(capabilityNumbers).length);
    assert.throws(() => containerCapabilities({ capabilities: { add: ['FLY'] } }), SecurityError);
  });

  it('sets no_new_privs only when escalation is refused (and never for privileged containers)', () => {
    assert.equal(noNewPrivileges({}), false);
    assert.equal(noNewPrivileges({ allowPrivilegeEscalation: false }), true);
    assert.equal(noNewPrivileges({ allowPrivilegeEscalation: false, privileged: true }), false);
  });

  it('hides /proc and /sys paths unless privileged or Unmasked', () => {
    assert.ok(hiddenPaths().maskedPaths.includes('/proc/kcore'));
    assert.ok(hiddenPaths().readOnlyPaths.includes('/proc/sys'));
    assert.deepEqual(hiddenPaths({ procMount: 'Unmasked' }), { maskedPaths: [], readOnlyPaths: [] });
    assert.deepEqual(hiddenPaths({ privileged: true }), { maskedPaths: [], readOnlyPaths: [] });
  });
});
