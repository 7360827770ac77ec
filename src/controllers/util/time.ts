/** Times as the API writes them (shared with the other components, in the client). */
export { timestamp } from '../../client/time.js';
