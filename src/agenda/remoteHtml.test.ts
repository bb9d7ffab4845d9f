import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sanitiseRemoteHtml } from './remoteHtml.ts';

test('remote HTML: text structure and http(s) links kept, links open apart without referrer', () => {
  assert.equal(
    sanitiseRemoteHtml('<h1>Titre</h1><p>Un <strong>concert</strong> <a href="https://example.org/x">ici</a></p>'),
    '<h2>Titre</h2><p>Un <strong>concert</strong> <a href="https://example.org/x" rel="nofollow noopener noreferrer ugc" target="_blank">ici</a></p>',
  );
});

test('remote HTML: scripts, styles, iframes and their content dropped; other unknown tags lose their tags only', () => {
  const out = sanitiseRemoteHtml(
    '<p>a<script>alert(1)</script>b<style>p{color:red}</style>c<iframe src="https://evil.test"></iframe><span class="x">d</span><svg><script>x</script></svg></p>',
  );
  assert.equal(out, '<p>abcd</p>');
});

test('remote HTML: event handlers, style attributes, javascript: and data: URLs, images and forms dropped', () => {
  const out = sanitiseRemoteHtml(
    '<p onclick="steal()" style="position:fixed">x</p><a href="javascript:alert(1)">j</a><a href=" JaVaScRiPt:alert(1)">k</a><a href="data:text/html,<script>1</script>">d</a><img src="https://tracker.test/p.gif" onerror="x()"><form action="https://evil.test"><input name="q"></form><a href="//evil.test/">p</a>',
  );
  assert.doesNotMatch(out, /onclick|onerror|style=|javascript|data:|<img|<form|<input|evil\.test|tracker/i);
  assert.match(out, /<p>x<\/p>/);
  assert.match(out, /<a rel="nofollow noopener noreferrer ugc" target="_blank">j<\/a>/);
});

test('remote HTML: entities stay escaped, a description too long is dropped whole', () => {
  assert.equal(sanitiseRemoteHtml('<p>&lt;b&gt; &amp; "q"</p>'), '<p>&lt;b&gt; &amp; "q"</p>');
  assert.equal(sanitiseRemoteHtml(`<p>${'x'.repeat(50_001)}</p>`), '');
});
