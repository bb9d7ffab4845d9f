import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type Client, type TestNode } from '../../test/harness.ts';
import { inTransaction } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import { deliverWebhooks } from './deliverWebhooks.ts';
import { emitEvent } from './emitEvent.ts';
import { isPublicAddress, privateHost } from './receiverAddress.ts';

describe('which addresses are public', () => {
  test('private, loopback, link-local, shared, documentation and mapped addresses are not', () => {
    const table: [string, boolean][] = [
      ['8.8.8.8', true],
      ['172.32.0.1', true],
      ['2001:4860:4860::8888', true],
      ['::ffff:8.8.8.8', true],
      ['127.0.0.1', false],
      ['127.8.9.10', false],
      ['10.2.3.4', false],
      ['172.16.5.4', false],
      ['172.31.255.255', false],
      ['192.168.1.1', false],
      ['100.64.1.1', false],
      ['169.254.169.254', false],
      ['0.0.0.0', false],
      ['224.0.0.1', false],
      ['192.0.2.10', false],
      ['::1', false],
      ['::', false],
      ['fe80::1', false],
      ['fd00::1', false],
      ['::ffff:127.0.0.1', false],
      ['::ffff:10.0.0.1', false],
      ['64:ff9b::a00:1', false],
      // 6to4 and Teredo tunnel to IPv4 addresses (the first here is 127.0.0.1, the second 192.168.1.1):
      // refused as a whole, like NAT64, rather than decoded.
      ['2002:7f00:1::1', false],
      ['2002:c0a8:101::1', false],
      ['2002:808:808::1', false],
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', false],
      ['2001::1', false],
      ['2001:1::1', true],
      ['not an address', false],
    ];
    for (const [address, expected] of table) assert.equal(isPublicAddress(address), expected, address);
  });

  test('hosts named for a local network are private by name; other names are checked when connecting', () => {
    const table: [string, boolean][] = [
      ['localhost', true],
      ['api.localhost', true],
      ['intranet', true],
      ['db.internal', true],
      ['printer.local', true],
      ['nas.lan', true],
      ['box.home.arpa', true],
      ['[::1]', true],
      ['127.0.0.1', true],
      ['LOCALHOST.', true],
      ['hooks.example.org', false],
      ['example.org.', false],
      ['[2001:4860:4860::8888]', false],
      ['8.8.8.8', false],
    ];
    for (const [host, expected] of table) assert.equal(privateHost(host), expected, host);
  });
});

describe('a node that refuses private receivers (production default)', () => {
  let t: TestNode;
  let admin: Client;
  let placeId: string;
  let server: Server;
  let received = 0;
  let port = 0;
  before(async () => {
    t = await createTestNode({ webhooksAllowPrivate: false });
    admin = await t.loginAs('ssrf@example.org');
    const r = await admin.api('POST', '/api/v1/venues', { slug: 'ssrf', name: 'SSRF' });
    assert.equal(r.statusCode, 201, r.body);
    placeId = r.json().id;
    server = createServer((req, res) => {
      received++;
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
  });

  test('a receiver on this machine or a private network is refused when registered, with a clear message', async () => {
    const cases: [string, string][] = [
      ['https://127.0.0.1/hook', 'webhooks.url-private'],
      ['https://10.0.0.8/hook', 'webhooks.url-private'],
      ['https://[::1]:8443/', 'webhooks.url-private'],
      ['https://169.254.169.254/latest/meta-data', 'webhooks.url-private'],
      ['https://localhost/hook', 'webhooks.url-private'],
      ['https://intranet/hook', 'webhooks.url-private'],
      ['https://redis.internal/hook', 'webhooks.url-private'],
      [`http://localhost:${port}/hook`, 'webhooks.url-https-only'],
      ['http://hooks.example.org/hook', 'webhooks.url-https-only'],
    ];
    for (const [url, code] of cases) {
      const r = await admin.api('POST', '/api/v1/venues/ssrf/webhooks', { url, events: ['order.paid'] });
      assert.equal(r.statusCode, 422, url);
      assert.deepEqual(
        r.json().errors.map((e: { field: string; code: string }) => [e.field, e.code]),
        [['url', code]],
        url,
      );
    }
    const form = await admin.postForm('/venues/ssrf/admin/webhooks', {
      url: 'https://192.168.1.20/hook',
      events: 'order.paid',
    });
    assert.equal(form.statusCode, 422);
    assert.match(form.body, /réseau privé|private network/);
    const count = await t.db
      .selectFrom('webhook_endpoints')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('place_id', '=', placeId)
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0);
    assert.equal(
      (
        await admin.api('POST', '/api/v1/venues/ssrf/webhooks', {
          url: 'https://hooks.example.org/rezo',
          events: ['order.paid'],
        })
      ).statusCode,
      201,
    );
  });

  test('at delivery, a name that resolves to this machine and an address in the URL are refused; nothing reaches the receiver', async () => {
    await t.db.deleteFrom('webhook_endpoints').where('place_id', '=', placeId).execute();
    // As if registered while allowed (or a name that resolved elsewhere then): stored directly.
    for (const url of [`http://localhost:${port}/hook`, `http://127.0.0.1:${port}/hook`]) {
      await t.db
        .insertInto('webhook_endpoints')
        .values({ place_id: placeId, id: uuidv7(), url, events: ['order.paid'], secret: 'whsec_test' })
        .execute();
    }
    await inTransaction(t.db, (trx) => emitEvent(trx, { placeId, type: 'order.paid', data: {} }));
    assert.equal(await deliverWebhooks(t.db, { allowPrivate: false, timeoutMs: 2000 }), 0);
    assert.equal(received, 0, 'the receiver on 127.0.0.1 got nothing');
    const errors = (
      await t.db.selectFrom('webhook_deliveries').select(['status', 'error']).where('place_id', '=', placeId).execute()
    ).map((d) => [d.status, d.error]);
    assert.equal(errors.length, 2);
    for (const [status, error] of errors) {
      assert.equal(status, 'pending');
      assert.match(String(error), /private address/);
    }
    // The same deliveries where private receivers are allowed: the receiver works, only the rule stopped them.
    await t.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: new Date() })
      .where('place_id', '=', placeId)
      .execute();
    assert.equal(await deliverWebhooks(t.db, { allowPrivate: true, timeoutMs: 2000 }), 2);
    assert.equal(received, 2);
  });
});
