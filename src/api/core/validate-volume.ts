/** Validation of pod volumes (upstream's ValidateVolumes and the source checks users trip over). */
import { field } from '../../machinery/status.js';
import { isObj as isPlainObject } from './util.js';
import { isDNS1123Label } from '../../machinery/validation.js';
import { volumeSources } from './defaults-pod.js';
import { arr, validateDNS1123Subdomain, validateQuantity, type Errs } from './validate-common.js';

const hostPathTypes = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

function validateMode(mode: unknown, path: string): Errs {
  if (mode === undefined) return [];
  if (typeof mode !== 'number' || mode < 0 || mode > 0o777) {
    return [field.invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
  }
  return [];
}

function validateKeyToPaths(items: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(items).forEach((item: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!item?.key) errs.push(field.required(`${p}.key`, ''));
    errs.push(...validateLocalPath(item?.path, `${p}.path`));
    errs.push(...validateMode(item?.mode, `${p}.mode`));
  });
  return errs;
}

function validateLocalPath(value: unknown, path: string): Errs {
  if (!value) return [field.required(path, '')];
  const s = String(value);
  const errs: Errs = [];
  if (s.startsWith('/')) errs.push(field.invalid(path, s, 'must be a relative path'));
  if (s.split('/').includes('..')) errs.push(field.invalid(path, s, "must not contain '..'"));
  else if (s.startsWith('..')) errs.push(field.invalid(path, s, "must not start with '..'"));
  return errs;
}

function validateSource(kind: string, src: any, path: string): Errs {
  const errs: Errs = [];
  if (!isPlainObject(src)) return errs;
  switch (kind) {
    case 'hostPath':
      if (!src.path) errs.push(field.required(`${path}.path`, ''));
      if (src.type !== undefined && !hostPathTypes.includes(src.type as string)) errs.push(field.notSupported(`${path}.type`, src.type, hostPathTypes));
      break;
    case 'emptyDir':
      if (src.sizeLimit !== undefined) errs.push(...validateQuantity(src.sizeLimit, `${path}.sizeLimit`));
      if (src.medium !== undefined && !['', 'Memory', 'HugePages'].includes(src.medium as string) && !String(src.medium).startsWith('HugePages-')) {
        errs.push(field.notSupported(`${path}.medium`, src.medium, ['', 'Memory', 'HugePages']));
      }
      break;
    case 'secret':
      if (src.secretName) errs.push(...validateDNS1123Subdomain(src.secretName, `${path}.secretName`));
      else errs.push(field.required(`${path}.secretName`, ''));
      errs.push(...validateMode(src.defaultMode, `${path}.defaultMode`), ...validateKeyToPaths(src.items, `${path}.items`));
      break;
    case 'configMap':
      if (src.name) errs.push(...validateDNS1123Subdomain(src.name, `${path}.name`));
      else errs.push(field.required(`${path}.name`, ''));
      errs.push(...validateMode(src.defaultMode, `${path}.defaultMode`), ...validateKeyToPaths(src.items, `${path}.items`));
      break;
    case 'persistentVolumeClaim':
      if (!src.claimName) errs.push(field.required(`${path}.claimName`, ''));
      break;
    case 'nfs':
      if (!src.server) errs.push(field.required(`${path}.server`, ''));
      if (!src.path) errs.push(field.required(`${path}.path`, ''));
      else if (!String(src.path).startsWith('/')) errs.push(field.invalid(`${path}.path`, src.path, 'must be an absolute path'));
      break;
    case 'downwardAPI':
      errs.push(...validateMode(src.defaultMode, `${path}.defaultMode`));
      arr(src.items).forEach((item: any, i: number) => {
        const p = `${path}.items[${i}]`;
        errs.push(...validateLocalPath(item?.path, `${p}.path`), ...validateMode(item?.mode, `${p}.mode`));
        const n = Number(item?.fieldRef !== undefined) + Number(item?.resourceFieldRef !== undefined);
        if (n === 0) errs.push(field.required(p, 'one of fieldRef and resourceFieldRef is required'));
        if (n > 1) errs.push(field.invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
      });
      break;
    case 'projected':
      errs.push(...validateMode(src.defaultMode, `${path}.defaultMode`));
      arr(src.sources).forEach((s: any, i: number) => {
        const p = `${path}.sources[${i}]`;
        const kinds = ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle'].filter((k) => s?.[k] !== undefined);
        if (kinds.length === 0) errs.push(field.required(p, 'must specify exactly 1 of: secret, configMap, downwardAPI, serviceAccountToken, clusterTrustBundle'));
        for (const k of kinds.slice(1)) errs.push(field.forbidden(`${p}.${k}`, 'may not specify more than 1 volume type per source'));
        if (s?.serviceAccountToken) {
          errs.push(...validateLocalPath(s.serviceAccountToken.path, `${p}.serviceAccountToken.path`));
          const exp = s.serviceAccountToken.expirationSeconds;
          if (exp !== undefined && exp < 600) errs.push(field.invalid(`${p}.serviceAccountToken.expirationSeconds`, exp, 'may not specify a duration less than 10 minutes'));
          if (exp !== undefined && exp > 2 ** 32) errs.push(field.invalid(`${p}.serviceAccountToken.expirationSeconds`, exp, 'may not specify a duration larger than 2^32 seconds'));
        }
        for (const k of ['secret', 'configMap']) if (s?.[k]) errs.push(...validateKeyToPaths(s[k].items, `${p}.${k}.items`));
      });
      break;
    case 'csi':
      if (!src.driver) errs.push(field.required(`${path}.driver`, ''));
      break;
    case 'ephemeral':
      if (!isPlainObject(src.volumeClaimTemplate)) errs.push(field.required(`${path}.volumeClaimTemplate`, ''));
      break;
    case 'image':
      if (!src.reference) errs.push(field.required(`${path}.reference`, ''));
      break;
    case 'gitRepo':
      if (!src.repository) errs.push(field.required(`${path}.repository`, ''));
      break;
  }
  return errs;
}

/** Validates `spec.volumes`; returns the errors and the volumes by name (for mount checks). */
export function validateVolumes(volumes: unknown, path: string): { errs: Errs; byName: Map<string, any> } {
  const errs: Errs = [];
  const byName = new Map<string, any>();
  arr(volumes).forEach((v: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!v?.name) errs.push(field.required(`${p}.name`, ''));
    else {
      for (const msg of isDNS1123Label(String(v.name))) errs.push(field.invalid(`${p}.name`, v.name, msg));
      if (byName.has(v.name)) errs.push(field.duplicate(`${p}.name`, v.name));
      else byName.set(v.name, v);
    }
    const kinds = volumeSources.filter((k) => v?.[k] !== undefined && v?.[k] !== null);
    if (kinds.length === 0) errs.push(field.required(p, 'must specify a volume type'));
    for (const k of kinds.slice(1)) errs.push(field.forbidden(`${p}.${k}`, 'may not specify more than 1 volume type'));
    for (const k of kinds) errs.push(...validateSource(k, v[k], `${p}.${k}`));
  });
  return { errs, byName };
}
