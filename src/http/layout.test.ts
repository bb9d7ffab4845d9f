import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { loginHref } from './layout.ts';

/** The parts of a request loginHref reads. */
function request(url: string, route: string, loginNext?: string | null, method = 'GET'): FastifyRequest {
  return { url, method, routeOptions: { url: route }, ctx: { loginNext } } as unknown as FastifyRequest;
}

describe('the header\'s "Log in" link (loginHref)', () => {
  test("brings the person back to the page they read, the page's query included", () => {
    assert.equal(loginHref(request('/events/jam?x=1', '/events/:slug')), '/login?next=%2Fevents%2Fjam%3Fx%3D1');
  });

  test('never copies a URL that holds a secret: mailed order and waiting-list links, login links', () => {
    for (const [url, route] of <[string, string][]>[
      ['/orders/confirm/s3cr3t', '/orders/confirm/:token'],
      ['/waitlist/offers/s3cr3t', '/waitlist/offers/:token'],
      ['/waitlist/entries/s3cr3t', '/waitlist/entries/:token'],
      ['/cards/claim/s3cr3t', '/cards/claim/:ticket'],
    ])
      assert.equal(loginHref(request(url, route)), '/login', url);
  });

  test('a page may name where to come back instead, or nowhere', () => {
    assert.equal(
      loginHref(request('/cards/s3cr3t', '/cards/:token', '/cards/claim/t1')),
      '/login?next=%2Fcards%2Fclaim%2Ft1',
    );
    assert.equal(loginHref(request('/no-such-page', '*', null)), '/login');
  });

  test('not from a form answer or the login pages themselves', () => {
    assert.equal(loginHref(request('/events/jam', '/events/:slug', undefined, 'POST')), '/login');
    assert.equal(loginHref(request('/login?next=%2Fx', '/login')), '/login');
    assert.equal(loginHref(request('/', '/')), '/login', 'from the home page: to the account, as before');
  });
});
