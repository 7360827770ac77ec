/**
 * An operator for a kind of its own: a `Website` (a CustomResourceDefinition
 * with a schema and a CEL rule) becomes a ConfigMap with its page, kept in
 * step with server-side apply, and the Website's status says how that went
 * (a Ready condition and the generation it was reconciled for). Run it
 * against a cluster:
 *
 *   npx skiff up &
 *   KUBECONFIG=~/.skiff/kubeconfig.yaml npx tsx examples/website-operator.ts
 *   kubectl apply -f - <<'EOF'
 *   apiVersion: demo.example.com/v1
 *   kind: Website
 *   metadata: { name: home }
 *   spec: { title: Welcome, pages: 2 }
 *   EOF
 *   kubectl get websites                              # TITLE PAGES READY AGE
 *   kubectl get configmap home-site -o jsonpath='{.data.index\.html}'
 *
 * The operator installs its CRD itself (server-side apply, so it can be run
 * again and again). Deleting the Website deletes the ConfigMap: it names the
 * Website as its controlling owner, and the garbage collector does the rest.
 */
import { Client, Manager, configFromKubeconfig, splitKey, type ControllerContext, type ControllerSpec, type ResourceRef } from '../src/client/index.js';
import type { KubeObject } from '../src/machinery/object.js';

const fieldManager = 'website-operator';

export interface Website extends KubeObject {
  spec: { title: string; pages?: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: 'True' | 'False'; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number }[];
  };
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export const websites: ResourceRef = { group: 'demo.example.com', version: 'v1', resource: 'websites', kind: 'Website', namespaced: true };
const configMaps: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const definitions: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };

/** The Website kind: a schema the apiserver enforces, with a CEL rule, a status subresource and columns. */
export const websiteDefinition = {
  metadata: { name: 'websites.demo.example.com' },
  spec: {
    group: 'demo.example.com',
    scope: 'Namespaced',
    names: { plural: 'websites', singular: 'website', kind: 'Website', shortNames: ['ws'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Title', type: 'string', jsonPath: '.spec.title' },
          { name: 'Pages', type: 'integer', jsonPath: '.spec.pages' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['title'],
                properties: {
                  title: { type: 'string', minLength: 1, maxLength: 80 },
                  pages: { type: 'integer', minimum: 1, default: 1 },
                },
                // The apiserver checks this on every write; the operator never sees a Website that breaks it.
                'x-kubernetes-validations': [{ rule: 'self.pages <= 10 || self.title.startsWith("Big")', message: 'more than 10 pages only for titles starting with "Big"' }],
              },
              status: {
                type: 'object',
                properties: {
                  observedGeneration: { type: 'integer' },
                  conditions: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['type'],
                    items: {
                      type: 'object',
                      required: ['type', 'status'],
                      properties: {
                        type: { type: 'string' },
                        status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
                        reason: { type: 'string' },
                        message: { type: 'string' },
                        lastTransitionTime: { type: 'string', format: 'date-time' },
                        observedGeneration: { type: 'integer' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

/** The page a Website stands for. */
export function renderSite(site: Website): Record<string, string> {
  const pages = site.spec.pages ?? 1;
  const data: Record<string, string> = { 'index.html': `<h1>${site.spec.title}</h1>\n` };
  for (let page = 2; page <= pages; page++) data[`page${page}.html`] = `<h1>${site.spec.title}, page ${page}</h1>\n`;
  return data;
}

export function websiteController(context: ControllerContext): ControllerSpec {
  const sites = context.informers.informerFor<Website>(websites);
  const siteClient = context.client.resource<Website>(websites);
  const configMapClient = context.client.resource<ConfigMap>(configMaps);

  return {
    name: 'website',
    for: websites,
    // A change to (or the deletion of) the ConfigMap wakes its Website.
    owns: [configMaps],
    async reconcile(key, { signal }) {
      const { namespace, name } = splitKey(key);
      const site = sites.lister.get(namespace, name);
      if (!site || site.metadata.deletionTimestamp) return;

      // Server-side apply states the whole desired ConfigMap: fields this operator set
      // before and no longer names (a page that went away) are removed by the apiserver.
      await configMapClient.apply(
        {
          metadata: {
            name: `${name}-site`,
            namespace,
            labels: { 'app.kubernetes.io/managed-by': fieldManager },
            ownerReferences: [{ apiVersion: 'demo.example.com/v1', kind: 'Website', name, uid: site.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          data: renderSite(site),
        },
        { fieldManager, force: true, signal },
      );

      // The status through its subresource, also applied: only the Ready condition is this operator's.
      const ready = site.status?.conditions?.find((c) => c.type === 'Ready');
      const generation = site.metadata.generation;
      if (ready?.status === 'True' && ready.observedGeneration === generation) return;
      await siteClient.apply(
        {
          metadata: { name, namespace },
          status: {
            observedGeneration: generation,
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'SiteRendered',
                message: `ConfigMap ${name}-site holds ${site.spec.pages ?? 1} page(s)`,
                lastTransitionTime: ready?.status === 'True' ? ready.lastTransitionTime : context.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
                observedGeneration: generation,
              },
            ],
          },
        },
        { fieldManager, force: true, subresource: 'status', signal },
      );
    },
  };
}

/** Installs (or updates) the Website CRD and waits until the apiserver serves it. */
export async function installWebsiteDefinition(client: Client, signal?: AbortSignal): Promise<void> {
  const crds = client.resource<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(definitions);
  await crds.apply(websiteDefinition as KubeObject, { fieldManager, force: true, signal });
  for (let attempt = 0; ; attempt++) {
    const crd = await crds.get(undefined, websiteDefinition.metadata.name, { signal });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (attempt > 100) throw new Error('the Website CRD was not Established within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Run when started directly (not when imported by the tests).
if (import.meta.url === `file://${process.argv[1]}`) {
  const client = new Client(configFromKubeconfig());
  await installWebsiteDefinition(client);
  const manager = new Manager(client, { log: (event) => console.log(JSON.stringify(event)) }).add(websiteController);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  console.log('website operator running; Ctrl-C to stop');
  await manager.run(stop.signal);
  client.close();
}
