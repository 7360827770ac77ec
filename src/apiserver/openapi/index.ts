/** OpenAPI v2 and v3 documents built from the registry, and their HTTP route. */
export { DefinitionSet, type Flavor, type JsonSchema } from './definitions.js';
export { listSchemaOf, metaSchemas } from './meta-schemas.js';
export { operationsOf, type Operation, type PathItem } from './operations.js';
export { encodeOpenAPIv2Document } from './protobuf.js';
export { OpenAPIDocuments, openapiRoute, type DocumentAnswer } from './routes.js';
export { documentKeys, documentV3, groupVersionDocumentV3, rootDocumentV3 } from './v3.js';
export { documentV2 } from './v2.js';
