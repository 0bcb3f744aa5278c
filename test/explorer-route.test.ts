// The usage explorer's routes, over plain HTTP: the page and its files come from the build
// (dist/web) with a Content-Security-Policy that keeps it to its own origin, the settings
// route says how the server runs, and in sigv4 mode these routes, and only these, answer
// unsigned requests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ListFarmsCommand } from '@aws-sdk/client-deadline';
import { http, sdkClient, startFarmtally, type Farmtally } from './support/server.js';
import { principal, startSigv4 } from './support/sigv4.js';

describe('open mode', () => {
  let ft: Farmtally;
  before(async () => {
    ft = await startFarmtally();
  });
  after(async () => {
    await ft?.stop();
  });

  test('/ is the page: HTML that loads its script and style from this origin, under a policy that allows nothing else', async () => {
    const res = await fetch(`${ft.url}/?farm=farm-0123&measure=cost`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const policy = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "style-src 'self'"]) assert.ok(policy.includes(directive), `${directive} in ${policy}`);
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/explorer\/app\.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="\/explorer\/app\.css"/);
    assert.doesNotMatch(html, /https?:\/\//, 'the page names no other origin');
  });

  test('the script and the style are served gzipped when asked, revalidated by ETag', async () => {
    const script = await fetch(`${ft.url}/explorer/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(script.headers.get('content-encoding'), 'gzip');
    const body = await script.text(); // fetch un-gzips it
    assert.ok(body.length > 100_000 && body.includes('StartSessionsStatisticsAggregation'), 'the bundle holds the SDK');
    const etag = script.headers.get('etag')!;
    const again = await fetch(`${ft.url}/explorer/app.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const css = await fetch(`${ft.url}/explorer/app.css`);
    assert.equal(css.status, 200);
    assert.match(await css.text(), /\.uplot/, 'uPlot\'s own styles are in the stylesheet');
  });

  test('settings say open and lenient; other methods and paths near the page are still unknown operations', async () => {
    const settings = await http(ft.url, 'GET', '/explorer/settings.json');
    assert.deepEqual(settings.body, { auth: 'open', strict: false });
    for (const [method, path] of [['POST', '/'], ['GET', '/explorer'], ['GET', '/explorer/other.js']] as const) {
      const res = await http(ft.url, method, path, method === 'POST' ? { body: '{}' } : {});
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
      assert.equal(res.body.reason, 'UNKNOWN_OPERATION');
    }
  });
});

describe('sigv4 and strict', () => {
  let ft: Farmtally;
  before(async () => {
    ({ ft } = await startSigv4([principal('admin')], ['--strict']));
  });
  after(async () => {
    await ft?.stop();
  });

  test('the page, its files and its settings answer unsigned requests; the API does not', async () => {
    for (const path of ['/', '/explorer/app.js', '/explorer/app.css', '/explorer/icon.svg']) {
      const res = await fetch(ft.url + path);
      assert.equal(res.status, 200, path);
      await res.arrayBuffer();
      const head = await fetch(ft.url + path, { method: 'HEAD' });
      assert.equal(head.status, 200, `HEAD ${path}`);
    }
    const settings = await http(ft.url, 'GET', '/explorer/settings.json');
    assert.deepEqual(settings.body, { auth: 'sigv4', strict: true });
    const unsigned = await http(ft.url, 'GET', '/2023-10-12/farms');
    assert.equal(unsigned.status, 403);
    await assert.rejects(sdkClient(ft.url).send(new ListFarmsCommand({})), { name: 'UnrecognizedClientException' });
  });
});
