/**
 * Static tokens (`--token-auth-file`), as upstream's token file: a CSV file
 * of `token,user,uid[,"group1,group2"]`, read once at start. The simplest way
 * to give a person or a script an identity (docs/security.md).
 */
import type { Authenticator, UserInfo } from '../authentication.js';
import { bearerToken } from './bearer.js';

/** Splits one CSV record: commas separate fields, double quotes may enclose one (with `""` for a quote). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  if (quoted) throw new Error('a quoted field is not closed');
  fields.push(field);
  return fields;
}

/** Parses the file's text; errors name the line, as upstream's. */
export function parseTokenFile(text: string, path = 'token file'): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    let fields: string[];
    try {
      fields = csvFields(line);
    } catch (err) {
      throw new Error(`${path}: line ${i + 1}: ${(err as Error).message}`);
    }
    if (fields.length < 3) throw new Error(`${path}: line ${i + 1}: token file must have at least 3 columns (token, user name, user uid), found ${fields.length}`);
    const [token, username, uid, groupList] = fields.map((field) => field.trim());
    if (!token) throw new Error(`${path}: line ${i + 1}: the token is empty`);
    if (users.has(token)) throw new Error(`${path}: line ${i + 1}: duplicate token`);
    const groups = groupList ? groupList.split(',').map((group) => group.trim()).filter((group) => group !== '') : [];
    users.set(token, { username, uid, groups });
  }
  return users;
}

/** The authenticator of a parsed token file: a known token is its user, with system:authenticated. */
export function tokenFileAuthenticator(users: Map<string, UserInfo>): Authenticator {
  return (req) => {
    const token = bearerToken(req);
    const user = token === undefined ? undefined : users.get(token);
    if (!user) return undefined;
    return { username: user.username, uid: user.uid, groups: [...user.groups.filter((group) => group !== 'system:authenticated'), 'system:authenticated'] };
  };
}
