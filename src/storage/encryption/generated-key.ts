/**
 * What `skiff up` encrypts with when no `--encryption-provider-config` is
 * given, like k3s's `--secrets-encryption`: on the first start a
 * configuration with a fresh random 32-byte aescbc key for Secrets (k3s's
 * choice), identity after it so Secrets written before (in plain) stay
 * readable; every later start uses the same file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encryptionConfigurationApiVersion, encryptionConfigurationKind } from './types.js';

export const generatedConfigurationFileName = 'encryption-config.yaml';

/** k3s names its generated key this way too. */
const generatedKeyName = 'aescbckey';

export function generatedEncryptionConfiguration(key: Uint8Array): string {
  return [
    `apiVersion: ${encryptionConfigurationApiVersion}`,
    `kind: ${encryptionConfigurationKind}`,
    'resources:',
    '  - resources:',
    '      - secrets',
    '    providers:',
    '      - aescbc:',
    '          keys:',
    `            - name: ${generatedKeyName}`,
    `              secret: ${Buffer.from(key).toString('base64')}`,
    '      - identity: {}',
    '',
  ].join('\n');
}

/**
 * The path of `<dataDir>/encryption-config.yaml`, written (mode 0600) on the
 * first call. The file appears whole or not at all: it is written aside,
 * flushed, then linked into place, which fails if another start won the race
 * (and then that one's key is used).
 */
export function ensureEncryptionConfiguration(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, generatedConfigurationFileName);
  if (!exists(path)) writeOnce(path, generatedEncryptionConfiguration(randomBytes(32)));
  // A file made looser by hand (or a copy) holds the key to every Secret: keep it the owner's alone.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return path;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function writeOnce(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temporary);
  }
  // Secrets are about to be encrypted with this key: its file must outlive a power cut, directory entry included.
  syncDirectory(dirname(path));
}

function syncDirectory(directory: string): void {
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
