/** Errors of the patch algorithms, with the status codes the apiserver answers. */
import { StatusError, errors } from '../status.js';

/** The patch itself is malformed: 400 BadRequest. */
export function malformedPatch(message: string): StatusError {
  return errors.badRequest(message);
}

/** A well-formed patch that cannot apply to this object: 422, as upstream answers. */
export function unappliablePatch(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}
