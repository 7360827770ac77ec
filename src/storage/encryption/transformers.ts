/**
 * Value transformers: what turns a stored value into plain bytes and back,
 * in upstream's wire formats (k8s.io/apiserver/pkg/storage/value and
 * value/encrypt/{aes,secretbox,identity}), so a value skiff writes is one
 * kube-apiserver reads with the same configuration, and the other way round.
 *
 *   aesgcm:    k8s:enc:aesgcm:v1:<key>:    + 12-byte random nonce + ciphertext + 16-byte tag
 *                                           (additional authenticated data: the storage key)
 *   aescbc:    k8s:enc:aescbc:v1:<key>:    + 16-byte random IV + PKCS#7-padded ciphertext
 *   secretbox: k8s:enc:secretbox:v1:<key>: + 24-byte random nonce + NaCl box (tag, ciphertext)
 *   identity:  the value itself (no prefix); refuses values starting with `k8s:enc:`
 *
 * Transforms are synchronous on purpose: a watch's events stay in order
 * without any queueing, and values are small (1.5 MB at most).
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type CipherGCMTypes, type KeyObject } from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa';

/** A transform that failed: the message is upstream's, for the apiserver's internal error. */
export class TransformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransformError';
  }
}

export interface ReadResult {
  data: Uint8Array;
  /**
   * True when the value was written by a provider or key other than the
   * first one configured: rewriting it (even unchanged) re-encrypts it with
   * the current one. That is how keys are rotated.
   */
  stale: boolean;
}

/**
 * One direction each way. `context` is the authenticated data: upstream
 * passes the storage key, so a value copied under another key fails to read
 * (aesgcm checks it; the others ignore it, as upstream's do).
 */
export interface ValueTransformer {
  fromStorage(data: Uint8Array, context: Uint8Array): ReadResult;
  toStorage(data: Uint8Array, context: Uint8Array): Uint8Array;
}

/** Where random bytes come from: the CSPRNG, or fixed bytes in a test of the wire format. */
export type RandomSource = (size: number) => Uint8Array;
const secureRandom: RandomSource = (size) => randomBytes(size);

/** The prefix every encrypted value starts with; identity refuses it. */
export const encryptedPrefix = 'k8s:enc:';
export const aesGcmPrefix = 'k8s:enc:aesgcm:v1:';
export const aesCbcPrefix = 'k8s:enc:aescbc:v1:';
export const secretboxPrefix = 'k8s:enc:secretbox:v1:';

const text = new TextEncoder();

export interface PrefixedTransformer {
  prefix: Uint8Array;
  transformer: ValueTransformer;
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

/** Upstream's error aggregate: one message as itself, several (deduplicated) as `[a, b]`. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

/**
 * Chooses by prefix (upstream's NewPrefixTransformers): reads with the first
 * transformer whose prefix the value has, writes with the first one. Used
 * twice: over the providers of a resource, and over the keys of a provider.
 */
export class PrefixTransformers implements ValueTransformer {
  constructor(
    private readonly transformers: PrefixedTransformer[],
    private readonly noMatch: string,
  ) {
    if (transformers.length === 0) throw new Error('at least one transformer is required');
  }

  fromStorage(data: Uint8Array, context: Uint8Array): ReadResult {
    const failures: string[] = [];
    for (let i = 0; i < this.transformers.length; i++) {
      const { prefix, transformer } = this.transformers[i];
      if (!startsWith(data, prefix)) continue;
      try {
        const result = transformer.fromStorage(data.subarray(prefix.length), context);
        return { data: result.data, stale: result.stale || i !== 0 };
      } catch (err) {
        // An empty prefix is identity refusing encrypted data: that is no
        // failure, a later provider may read it (migrating away from encryption).
        if (prefix.length === 0) continue;
        // Two providers of one kind (rotating between them) share a prefix: try the next.
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
    throw new TransformError(failures.length > 0 ? aggregate(failures) : this.noMatch);
  }

  toStorage(data: Uint8Array, context: Uint8Array): Uint8Array {
    const { prefix, transformer } = this.transformers[0];
    const body = transformer.toStorage(data, context);
    const out = new Uint8Array(prefix.length + body.length);
    out.set(prefix, 0);
    out.set(body, prefix.length);
    return out;
  }
}

/** Plain values; refuses encrypted ones, so a provider after it in the list can read them. */
export class IdentityTransformer implements ValueTransformer {
  private static readonly prefix = text.encode(encryptedPrefix);

  fromStorage(data: Uint8Array): ReadResult {
    // JSON starts with '{' and protobuf with 'k8s\0': only encrypted data has this prefix.
    if (startsWith(data, IdentityTransformer.prefix)) throw new TransformError('identity transformer tried to read encrypted data');
    return { data, stale: false };
  }

  toStorage(data: Uint8Array): Uint8Array {
    return data;
  }
}

function aesAlgorithm(key: Uint8Array, mode: 'gcm' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new Error(`crypto/aes: invalid key size ${key.length}`);
  return `aes-${key.length * 8}-${mode}`;
}

const gcmNonceSize = 12;
const gcmTagSize = 16;

/** AES-GCM with a random nonce per write (upstream's NewGCMTransformer). */
export class AesGcmTransformer implements ValueTransformer {
  private readonly algorithm: CipherGCMTypes;
  private readonly key: KeyObject;

  constructor(
    key: Uint8Array,
    private readonly random: RandomSource = secureRandom,
  ) {
    this.algorithm = aesAlgorithm(key, 'gcm') as CipherGCMTypes;
    this.key = createSecretKey(key);
  }

  fromStorage(data: Uint8Array, context: Uint8Array): ReadResult {
    if (data.length < gcmNonceSize) throw new TransformError('the stored data was shorter than the required size');
    // Go's AEAD.Open fails the same way for a missing tag as for a wrong one.
    if (data.length < gcmNonceSize + gcmTagSize) throw new TransformError('cipher: message authentication failed');
    const nonce = data.subarray(0, gcmNonceSize);
    const sealed = data.subarray(gcmNonceSize, data.length - gcmTagSize);
    const tag = data.subarray(data.length - gcmTagSize);
    try {
      const decipher = createDecipheriv(this.algorithm, this.key, nonce, { authTagLength: gcmTagSize });
      decipher.setAuthTag(tag);
      decipher.setAAD(context);
      const plain = Buffer.concat([decipher.update(sealed), decipher.final()]);
      return { data: plain, stale: false };
    } catch {
      throw new TransformError('cipher: message authentication failed');
    }
  }

  toStorage(data: Uint8Array, context: Uint8Array): Uint8Array {
    const nonce = this.random(gcmNonceSize);
    if (nonce.length !== gcmNonceSize) throw new TransformError('failed to write nonce for AES-GCM: short read');
    const cipher = createCipheriv(this.algorithm, this.key, nonce, { authTagLength: gcmTagSize });
    cipher.setAAD(context);
    const sealed = Buffer.concat([cipher.update(data), cipher.final()]);
    return Buffer.concat([nonce, sealed, cipher.getAuthTag()]);
  }
}

const cbcBlockSize = 16;

/** AES-CBC with a random IV and PKCS#7 padding (upstream's NewCBCTransformer). */
export class AesCbcTransformer implements ValueTransformer {
  private readonly algorithm: string;
  private readonly key: KeyObject;

  constructor(
    key: Uint8Array,
    private readonly random: RandomSource = secureRandom,
  ) {
    this.algorithm = aesAlgorithm(key, 'cbc');
    this.key = createSecretKey(key);
  }

  fromStorage(data: Uint8Array): ReadResult {
    if (data.length < cbcBlockSize) throw new TransformError('the stored data was shorter than the required size');
    const iv = data.subarray(0, cbcBlockSize);
    const body = data.subarray(cbcBlockSize);
    if (body.length % cbcBlockSize !== 0) throw new TransformError('the stored data is not a multiple of the block size');
    // Padding is checked here rather than by OpenSSL, for upstream's messages and rules.
    const decipher = createDecipheriv(this.algorithm, this.key, iv);
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(body), decipher.final()]);
    const paddingSize = plain.length > 0 ? plain[plain.length - 1] : 0;
    if (paddingSize === 0 || paddingSize > plain.length) throw new TransformError('invalid PKCS7 data (empty or not padded)');
    for (let i = plain.length - paddingSize; i < plain.length; i++) {
      if (plain[i] !== paddingSize) throw new TransformError('invalid padding on input');
    }
    return { data: plain.subarray(0, plain.length - paddingSize), stale: false };
  }

  toStorage(data: Uint8Array): Uint8Array {
    const iv = this.random(cbcBlockSize);
    if (iv.length !== cbcBlockSize) throw new TransformError('unable to read sufficient random bytes');
    // Node's automatic padding is PKCS#7 with a whole block when the data fills the last one, as upstream pads.
    const cipher = createCipheriv(this.algorithm, this.key, iv);
    return Buffer.concat([iv, cipher.update(data), cipher.final()]);
  }
}

const secretboxNonceSize = 24;
const secretboxOverhead = 16;

/** NaCl secretbox, XSalsa20 and Poly1305 (upstream's NewSecretboxTransformer). */
export class SecretboxTransformer implements ValueTransformer {
  constructor(
    private readonly key: Uint8Array,
    private readonly random: RandomSource = secureRandom,
  ) {
    if (key.length !== 32) throw new Error(`expected key size 32 for secretbox provider, got ${key.length}`);
  }

  fromStorage(data: Uint8Array): ReadResult {
    if (data.length < secretboxOverhead + secretboxNonceSize) throw new TransformError('the stored data was shorter than the required size');
    const nonce = Uint8Array.from(data.subarray(0, secretboxNonceSize));
    try {
      // The cipher may write into its input: hand it a copy, never the caller's bytes.
      return { data: xsalsa20poly1305(this.key, nonce).decrypt(Uint8Array.from(data.subarray(secretboxNonceSize))), stale: false };
    } catch {
      // Upstream's message, odd as it is, so logs match.
      throw new TransformError('output array was not large enough for encryption');
    }
  }

  toStorage(data: Uint8Array): Uint8Array {
    const nonce = this.random(secretboxNonceSize);
    if (nonce.length !== secretboxNonceSize) throw new TransformError('unable to read sufficient random bytes');
    const box = xsalsa20poly1305(this.key, nonce).encrypt(Uint8Array.from(data));
    const out = new Uint8Array(secretboxNonceSize + box.length);
    out.set(nonce, 0);
    out.set(box, secretboxNonceSize);
    return out;
  }
}

/** A named key of a provider, its secret already decoded. */
export interface ProviderKey {
  name: string;
  secret: Uint8Array;
}

export type ProviderKind = 'aesgcm' | 'aescbc' | 'secretbox';

const providerPrefixes: Record<ProviderKind, string> = { aesgcm: aesGcmPrefix, aescbc: aesCbcPrefix, secretbox: secretboxPrefix };
const noKeyMatches: Record<ProviderKind, string> = {
  aesgcm: 'no matching key was found for the provided AES transformer',
  aescbc: 'no matching key was found for the provided AES transformer',
  secretbox: 'no matching key was found for the provided Secretbox transformer',
};

/**
 * One provider of a resource: its `k8s:enc:<kind>:v1:` prefix, then one
 * transformer per key under `<name>:`, the first key writing.
 */
export function providerTransformer(kind: ProviderKind, keys: ProviderKey[], random: RandomSource = secureRandom): PrefixedTransformer {
  const perKey = keys.map((key): PrefixedTransformer => {
    const transformer =
      kind === 'aesgcm'
        ? new AesGcmTransformer(key.secret, random)
        : kind === 'aescbc'
          ? new AesCbcTransformer(key.secret, random)
          : new SecretboxTransformer(key.secret, random);
    return { prefix: text.encode(`${key.name}:`), transformer };
  });
  return { prefix: text.encode(providerPrefixes[kind]), transformer: new PrefixTransformers(perKey, noKeyMatches[kind]) };
}

/** The identity provider's entry: no prefix, so it is tried on every value. */
export function identityProvider(): PrefixedTransformer {
  return { prefix: new Uint8Array(0), transformer: new IdentityTransformer() };
}

/** A resource's transformer over its providers, in configuration order. */
export function resourceTransformer(providers: PrefixedTransformer[]): ValueTransformer {
  return new PrefixTransformers(providers, 'no matching prefix found');
}
