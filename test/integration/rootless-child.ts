/**
 * The rootless test's child (rootless.test.ts starts it as an ordinary
 * user): a process runtime with images, as that user, runs containers of an
 * image imported from an archive, and prints what it saw as one JSON line.
 * Usage: rootless-child DIR ARCHIVE (DIR is the user's to write).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalImageService } from '../../src/node/images/image-service.js';
import { importArchiveFile } from '../../src/node/images/archive-import.js';
import { ProcessRuntime } from '../../src/node/runtime/process/runtime.js';
import { shimBinary } from '../../src/node/runtime/process/shim-client.js';
import type { ContainerStatus } from '../../src/node/runtime/runtime.js';

const [dir, archive] = process.argv.slice(2);

async function main(): Promise<Record<string, unknown>> {
  const images = new LocalImageService({ root: join(dir, 'image-store'), endpoints: () => [], nodeHelper: shimBinary() });
  const [image] = await importArchiveFile(images, archive);
  const runtime = new ProcessRuntime({ logDir: join(dir, 'logs'), stateDir: join(dir, 'state'), hostIP: '127.0.0.1', images, stopOnShutdown: true });
  const ended = new Map<string, (status: ContainerStatus) => void>();
  runtime.onContainerEvent((_sandbox, status) => {
    if (status.state === 'exited') ended.get(status.id)?.(status);
  });
  const exitOf = (id: string) => new Promise<ContainerStatus>((resolve) => ended.set(id, resolve));
  try {
    const sandbox = await runtime.runPodSandbox({ uid: 'rootless-1', namespace: 'default', name: 'rootless-pod' });
    // Runs once: what it sees of itself and of the image.
    const once = await runtime.createContainer(sandbox.id, {
      name: 'once',
      image: image.repoTags[0],
      command: ['sh', '-c', 'id -u; hostname; cat /etc/greeting; ls /etc/gone 2>&1; ls /opt/replaced; grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status; echo pid1=$(cat /proc/1/comm)'],
      security: { capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false },
    });
    const onceEnd = exitOf(once);
    await runtime.startContainer(once);
    const onceStatus = await onceEnd;
    const log = readFileSync(onceStatus.logPath!, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace(/^\S+ stdout F /, ''));
    // Stays up for exec.
    const server = await runtime.createContainer(sandbox.id, { name: 'server', image: image.repoTags[0], command: ['sleep', '60'] });
    await runtime.startContainer(server);
    const exec = runtime.exec(server, ['sh', '-c', 'id -u; cat /etc/greeting; stty size'], { stdin: false, tty: { width: 70, height: 20 } })!;
    let execOutput = '';
    exec.stdout.on('data', (d: Buffer) => (execOutput += d.toString()));
    const execEnd = await exec.done;
    // Another user than root cannot be, here.
    const other = await runtime.createContainer(sandbox.id, { name: 'other', image: image.repoTags[0], command: ['true'], security: { runAsUser: 1000 } });
    const otherEnd = exitOf(other);
    await runtime.startContainer(other);
    const otherStatus = await otherEnd;
    return {
      isolation: runtime.isolation,
      describe: runtime.describeIsolation(),
      once: { exitCode: onceStatus.exitCode, log },
      exec: { ...execEnd, output: execOutput },
      other: { reason: otherStatus.reason, message: otherStatus.message },
    };
  } finally {
    await runtime.stopAll();
    await runtime.shutdown();
  }
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err: Error) => {
    process.stdout.write(`${JSON.stringify({ error: err.stack ?? err.message })}\n`);
    process.exit(1);
  },
);
