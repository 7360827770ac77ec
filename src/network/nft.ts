/** Running nftables: a script through `nft -f -` (one transaction), and deleting a table. */
import { execFile, spawn } from 'node:child_process';

export function applyNft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk) => (errors += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft: ${errors.trim()}`))));
    child.stdin.end(script);
  });
}

/** Removes a table of the ip family; a table that is not there is fine. */
export function deleteNftTable(table: string): Promise<void> {
  return new Promise((resolve) => execFile('nft', ['delete', 'table', 'ip', table], () => resolve()));
}
