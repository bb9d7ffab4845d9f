import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_PROOF_LINES,
  formatAddCheckpointRequest,
  formatAddCheckpointResponse,
  formatTlogSize,
  parseAddCheckpointRequest,
  parseAddCheckpointResponse,
  parseTlogSize,
} from './addCheckpointWire.ts';
import { TlogError } from './tlogError.ts';

const rejects = (code: string) => (error: unknown) => error instanceof TlogError && error.code === code;

// The example request and response bodies of the C2SP tlog-witness specification.
const SPEC_REQUEST = `old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
`;
const SPEC_RESPONSE = `\u2014 witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==
\u2014 witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt64vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==
\u2014 witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==
`;

describe('C2SP tlog-witness add-checkpoint: wire format', () => {
  test("the specification's request parses and serialises back byte for byte", () => {
    const r = parseAddCheckpointRequest(SPEC_REQUEST);
    assert.equal(r.oldSize, 20852014);
    assert.equal(r.proof.length, 4);
    assert.equal(Buffer.from(r.proof[3]!).toString('base64'), '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=');
    assert.ok(r.checkpoint.startsWith('example.com/behind-the-sofa\n20852163\n'));
    assert.equal(formatAddCheckpointRequest(r), SPEC_REQUEST);
  });

  test("the specification's response: three cosignature lines from two witnesses", () => {
    const lines = parseAddCheckpointResponse(SPEC_RESPONSE);
    assert.deepEqual(
      lines.map((l) => l.name),
      ['witness.example/w1', 'witness.example/w1', 'witness.example/w2'],
    );
    assert.ok(
      lines.every((l) => l.signature.length === 72),
      'timestamp + Ed25519 signature',
    );
    assert.equal(formatAddCheckpointResponse(lines), SPEC_RESPONSE);
  });

  test('the 409 body: the size and a newline', () => {
    assert.equal(formatTlogSize(20852014), '20852014\n');
    assert.equal(parseTlogSize('20852014\n'), 20852014);
    assert.throws(() => parseTlogSize('20852014'), rejects('malformed-request'));
    assert.throws(() => parseTlogSize('020852014\n'), rejects('malformed-request'));
  });

  test('an empty proof (old 0) and the 63-line limit', () => {
    const checkpoint = SPEC_REQUEST.slice(SPEC_REQUEST.indexOf('\n\n') + 2);
    const zero = parseAddCheckpointRequest(`old 0\n\n${checkpoint}`);
    assert.deepEqual([zero.oldSize, zero.proof.length], [0, 0]);
    const line = 'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n';
    assert.equal(parseAddCheckpointRequest(`old 1\n${line.repeat(MAX_PROOF_LINES)}\n${checkpoint}`).proof.length, 63);
    assert.throws(
      () => parseAddCheckpointRequest(`old 1\n${line.repeat(MAX_PROOF_LINES + 1)}\n${checkpoint}`),
      rejects('malformed-request'),
    );
  });

  test('refused: no old line, a leading zero, a short or non-base64 proof line, no empty line, no note', () => {
    const checkpoint = SPEC_REQUEST.slice(SPEC_REQUEST.indexOf('\n\n') + 2);
    for (const bad of [
      `20852014\n\n${checkpoint}`,
      `old 020852014\n\n${checkpoint}`,
      `old -1\n\n${checkpoint}`,
      `old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpka==\n\n${checkpoint}`,
      `old 1\nnot base64!\n\n${checkpoint}`,
      `old 1\n${checkpoint}`.replace(/\n\n/, '\n'),
      `old 1\n\n`,
      `old 1\n\n${'x'.repeat(25_000)}`,
    ]) {
      assert.throws(() => parseAddCheckpointRequest(bad), TlogError, JSON.stringify(bad.slice(0, 60)));
    }
  });
});
