import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyPath, rewriteLocation } from './proxy.js';
import { splitSchemeNamePort } from './proxy-target.js';
import { rewriteHtmlLinks } from './proxy-html.js';

describe('proxy paths and names', () => {
  it('splits name, name:port and scheme:name:port as upstream; refuses other schemes and shapes', () => {
    assert.deepEqual(splitSchemeNamePort('web'), { scheme: '', name: 'web', port: '' });
    assert.deepEqual(splitSchemeNamePort('web:80'), { scheme: '', name: 'web', port: '80' });
    assert.deepEqual(splitSchemeNamePort('https:web:metrics'), { scheme: 'https', name: 'web', port: 'metrics' });
    assert.equal(splitSchemeNamePort('ftp:web:80'), undefined);
    assert.equal(splitSchemeNamePort('a:b:c:d'), undefined);
    assert.equal(splitSchemeNamePort(':80'), undefined);
  });

  it('finds the resource, id and the rest after /proxy on the escaped path', () => {
    assert.deepEqual(parseProxyPath('/api/v1/namespaces/default/services/web:80/proxy/a%20b/c/'), {
      namespace: 'default',
      resource: 'services',
      id: 'web:80',
      rest: '/a%20b/c/',
      prefix: '/api/v1/namespaces/default/services/web:80/proxy',
    });
    assert.equal(parseProxyPath('/api/v1/nodes/n1/proxy')?.rest, '');
    assert.equal(parseProxyPath('/api/v1/namespaces/x/nodes/n1/proxy/'), undefined);
    assert.equal(parseProxyPath('/api/v1/pods/p/proxy/'), undefined);
    assert.equal(parseProxyPath('/api/v1/namespaces/x/pods/p/exec'), undefined);
  });

  it('sends redirects to the target itself back through the proxy', () => {
    const prefix = '/api/v1/namespaces/x/pods/p/proxy';
    const target = { host: '10.1.0.5', port: 8080 };
    assert.equal(rewriteLocation('/login?next=/', prefix, target), `${prefix}/login?next=/`);
    assert.equal(rewriteLocation('http://10.1.0.5:8080/a', prefix, target), `${prefix}/a`);
    assert.equal(rewriteLocation(`${prefix}/already`, prefix, target), `${prefix}/already`);
    assert.equal(rewriteLocation('http://example.com/a', prefix, target), 'http://example.com/a');
    assert.equal(rewriteLocation('relative/path', prefix, target), 'relative/path');
  });

  it('rewrites URL attributes inside tags only', () => {
    const rewrite = (url: string) => (url.startsWith('/') ? `/p${url}` : url);
    assert.equal(
      rewriteHtmlLinks(`<a class="x" HREF = "/a">/b</a><script src='/s.js'>var src = "/no";</script><form action="/f"><p title="/t">`, rewrite),
      `<a class="x" HREF = "/p/a">/b</a><script src='/p/s.js'>var src = "/no";</script><form action="/p/f"><p title="/t">`,
    );
  });
});
