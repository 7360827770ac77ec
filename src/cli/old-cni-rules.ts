/**
 * Rules that skiff versions before this one left in iptables' nat table:
 * their CNI configuration had the bridge plugin masquerade each containerd
 * pod (`ipMasq`), and the plugin adds a chain `CNI-<hash>` per pod, jumped
 * to from POSTROUTING by a rule whose comment names the network
 * (`name: "skiff" id: "<container id>"`). A pod removed in order takes its
 * rules with it; one that ended with a `kill -9` leaves them. skiff now
 * masquerades in its own nftables table, so `skiff down` removes every rule
 * of the "skiff" network, and the chains they jump to. Rules of any other
 * network are left alone.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A POSTROUTING rule of skiff's CNI network: its number in the listing and the chain it jumps to. */
export interface OldCniRule {
  number: number;
  chain: string;
}

/** Skiff's CNI rules in `iptables -t nat -L POSTROUTING -n --line-numbers`, highest number first (the order to delete them in). */
export function oldCniRules(listing: string): OldCniRule[] {
  const rules: OldCniRule[] = [];
  for (const line of listing.split('\n')) {
    const match = /^(\d+)\s+(CNI-[0-9A-Za-z]+)\s.*\/\* name: "skiff" id: "[^"]*" \*\/\s*$/.exec(line);
    if (match) rules.push({ number: Number(match[1]), chain: match[2] });
  }
  return rules.sort((a, b) => b.number - a.number);
}

/** Removes skiff's old CNI masquerade rules and chains; how many chains went (0 without iptables). */
export async function removeOldCniRules(): Promise<number> {
  const listing = await run('iptables', ['-w', '5', '-t', 'nat', '-L', 'POSTROUTING', '-n', '--line-numbers']).then(
    ({ stdout }) => stdout,
    () => '',
  );
  const rules = oldCniRules(listing);
  for (const rule of rules) await run('iptables', ['-w', '5', '-t', 'nat', '-D', 'POSTROUTING', String(rule.number)]).catch(() => {});
  let chains = 0;
  for (const chain of new Set(rules.map((rule) => rule.chain))) {
    await run('iptables', ['-w', '5', '-t', 'nat', '-F', chain]).catch(() => {});
    if (await run('iptables', ['-w', '5', '-t', 'nat', '-X', chain]).then(() => true, () => false)) chains++;
  }
  return chains;
}
