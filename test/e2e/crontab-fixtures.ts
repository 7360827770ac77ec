/**
 * The CronTab of the Kubernetes documentation's CRD page, as the end-to-end
 * tests use it: a CRD with a schema (pattern, bounds, a default), two CEL
 * rules, status and scale subresources, printer columns, a short name and
 * the `all` category; and a CronTab object.
 */
export const crontabDefinition = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              description: What the CronTab runs and how often.
              properties:
                cronSpec:
                  type: string
                  pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'
                image:
                  type: string
                replicas:
                  type: integer
                  minimum: 1
                  maximum: 10
                  default: 1
                maxReplicas:
                  type: integer
              x-kubernetes-validations:
              - rule: "!has(self.maxReplicas) || self.replicas <= self.maxReplicas"
                message: replicas should be smaller than or equal to maxReplicas.
              - rule: self.image == oldSelf.image
                message: image is immutable
            status:
              type: object
              properties:
                replicas:
                  type: integer
                labelSelector:
                  type: string
      subresources:
        status: {}
        scale:
          specReplicasPath: .spec.replicas
          statusReplicasPath: .status.replicas
          labelSelectorPath: .status.labelSelector
      additionalPrinterColumns:
      - name: Spec
        type: string
        description: The cron spec defining the interval a CronJob is run
        jsonPath: .spec.cronSpec
      - name: Replicas
        type: integer
        description: The number of jobs launched by the CronJob
        jsonPath: .spec.replicas
      - name: Age
        type: date
        jsonPath: .metadata.creationTimestamp
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
    categories:
    - all
`;

export const crontab = (name: string, replicas?: number, extra = '') => `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: ${name}
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
${replicas === undefined ? '' : `  replicas: ${replicas}\n`}${extra}`;

