/** Schemas of metrics.k8s.io/v1beta1, under k8s.io/metrics' definition names (what `kubectl explain` shows). */
import { kindSchema, s } from '../../machinery/schema/index.js';
import { METRICS_GROUP, METRICS_VERSION } from './types.js';

const V1BETA1 = 'io.k8s.metrics.pkg.apis.metrics.v1beta1';

const usage = (description: string) => s.map(s.quantity(), description);

const timestamp = s.dateTime('The end of the interval the usage was measured over: [timestamp − window, timestamp].');
const window = s.string('The length of the interval the usage was measured over, as a Go duration (15.012s).');

const ContainerMetricsSchema = s.object(`${V1BETA1}.ContainerMetrics`, 'Resource usage of a container.', {
  name: s.string('The container name, as in pod.spec.containers.'),
  usage: usage('CPU (cores) and memory (working set bytes) in use.'),
}, { required: ['name', 'usage'] });

export const NodeMetricsSchema = kindSchema({
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  kind: 'NodeMetrics',
  definitionName: `${V1BETA1}.NodeMetrics`,
  description: 'Resource usage of a node.',
  fields: {
    timestamp,
    window,
    usage: usage('CPU (cores) and memory (working set bytes) in use.'),
  },
  required: ['timestamp', 'window', 'usage'],
});

export const PodMetricsSchema = kindSchema({
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  kind: 'PodMetrics',
  definitionName: `${V1BETA1}.PodMetrics`,
  description: 'Resource usage of a pod.',
  fields: {
    timestamp,
    window,
    containers: s.array(ContainerMetricsSchema, 'Usage of each container, measured over the same window.', { listType: 'atomic' }),
  },
  required: ['timestamp', 'window', 'containers'],
});
