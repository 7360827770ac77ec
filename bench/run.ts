/** `npm run bench`: runs every benchmark in turn and prints its figures. */
const suites: { name: string; load: () => Promise<{ run(): Promise<void> }> }[] = [
  { name: 'storage', load: () => import('./storage.js') },
  { name: 'apiserver', load: () => import('./apiserver.js') },
  { name: 'security', load: () => import('./apiserver-security.js') },
  { name: 'controllers', load: () => import('./controllers.js') },
  { name: 'scheduler', load: () => import('./scheduler.js') },
  { name: 'node', load: () => import('./node.js') },
  { name: 'network', load: () => import('./network.js') },
  { name: 'streaming', load: () => import('./streaming.js') },
  { name: 'observability', load: () => import('./observability.js') },
];

const only = process.argv[2];
for (const suite of suites) {
  if (only && suite.name !== only) continue;
  const module = await suite.load();
  await module.run();
}
