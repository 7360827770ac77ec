/**
 * Links inside an HTML page served through a proxy subresource, as
 * upstream's proxy transport rewrites them: a URL attribute of a tag that
 * points at the target itself (`/style.css`, `http://<target>/x`) is made to
 * go through the proxy again, so a page that links absolutely still works
 * behind `kubectl proxy`. Relative links and links to other hosts are left
 * alone. Tags are found by a scan, not a full HTML parser: enough for the
 * attributes upstream rewrites.
 */

/** The attributes upstream rewrites (on any tag: the names are specific enough). */
const urlAttributes = ['href', 'src', 'action', 'formaction', 'poster', 'cite', 'longdesc', 'background', 'data', 'codebase', 'usemap', 'manifest', 'profile', 'icon', 'classid'];

const tag = /<[a-zA-Z][^>]*>/g;
const attribute = new RegExp(`(\\s(?:${urlAttributes.join('|')})\\s*=\\s*)(?:"([^"]*)"|'([^']*)')`, 'gi');

export function rewriteHtmlLinks(html: string, rewrite: (url: string) => string): string {
  return html.replace(tag, (whole) =>
    whole.replace(attribute, (_match, before: string, doubleQuoted: string | undefined, singleQuoted: string | undefined) => {
      const quote = doubleQuoted !== undefined ? '"' : "'";
      return `${before}${quote}${rewrite(doubleQuoted ?? singleQuoted ?? '')}${quote}`;
    }),
  );
}
