/** ValidatingAdmissionPolicy: the admission plugin and the type checking of policies (README.md). */
export { validatingAdmissionPolicy, type ValidatingAdmissionPolicyDeps } from './plugin.js';
export type { ParamsLookup } from './params.js';
export type { AuthorizeFunction } from '../../../api/admissionregistration/cel/authorizer-library.js';
export { typeCheckPolicy, schemaResolverOf, type ExpressionWarning, type SchemaResolver } from '../../../api/admissionregistration/cel/type-check.js';
