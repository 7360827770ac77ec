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

/** One ip-family table of this node: its rules replaced only when they change, removed on stop. */
export class NftTable {
  private applied = '';

  constructor(readonly name: string) {}

  async apply(script: string): Promise<void> {
    if (script === this.applied) return;
    await applyNft(script);
    this.applied = script;
  }

  async remove(): Promise<void> {
    this.applied = '';
    await deleteNftTable(this.name);
  }
}
