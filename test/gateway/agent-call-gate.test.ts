// The gateway's exec gate on its own: which upstream paths are an agent's v1 API, and the call type it
// decodes from a body, byte for byte as the agent will, including the ways one might hide a launch
// (a repeated field, a repeated JSON key, a record split across chunks), and that what passes is
// forwarded unchanged.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import pino from 'pino';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { gateAgentCall, isAgentApiPath } from '../../gateway/agent-call-gate.js';
import { frame, inputRecords, launchCall } from '../support/exec-client.js';

const launch = launchCall({ id: { value: 'n', parent: { value: 'p' } }, command: 'id', args: [] });
const getHealth = Buffer.from(protobuf.Writer.create().uint32(8).int32(1).finish()); // type = GET_HEALTH

async function gate(who: 'admin' | 'operator', headers: Record<string, string>, chunks: readonly Buffer[]) {
  const verdict = await gateAgentCall({
    request: { headers } as unknown as IncomingMessage,
    body: Readable.from(chunks),
    caller: { uid: who, issuer: 'gatehouse', claims: {} } as never,
    groups: who === 'admin' ? ['admins'] : [],
    allow: { groups: ['admins'] },
    agentPath: '/agent/a/api/v1',
    logger: pino({ level: 'silent' }),
  });
  if (verdict.kind === 'refuse') return { ...verdict, forwarded: null };
  const forwarded: Buffer[] = [];
  for await (const chunk of verdict.body) forwarded.push(chunk as Buffer);
  return { ...verdict, forwarded: Buffer.concat(forwarded) };
}

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };
const STREAM = { 'content-type': 'application/recordio', 'message-content-type': 'application/x-protobuf' };

describe('isAgentApiPath', () => {
  const cases: [string, boolean][] = [
    ['/api/v1', true],
    ['/api/v1/', true],
    ['/api/v1/anything', true], // libprocess routes a path to its longest registered prefix
    ['/slave(1)/api/v1', true],
    ['/api/v10', false],
    ['/files/api/v1', false],
    ['/state', false],
  ];
  for (const [path, want] of cases) it(`${path}: ${want}`, () => expect(isAgentApiPath(path)).toBe(want));
});

describe('gateAgentCall', () => {
  const cases: { name: string; who: 'admin' | 'operator'; headers: Record<string, string>; chunks: Buffer[]; want: string }[] = [
    { name: 'a protobuf launch by a non-admin', who: 'operator', headers: PROTOBUF, chunks: [launch], want: 'ERR_GATEWAY_FORBIDDEN' },
    { name: 'a protobuf launch by an admin', who: 'admin', headers: PROTOBUF, chunks: [launch], want: 'LAUNCH_NESTED_CONTAINER_SESSION' },
    { name: 'a read by a non-admin', who: 'operator', headers: PROTOBUF, chunks: [getHealth], want: 'GET_HEALTH' },
    // Protobuf's last value of a field wins, in protobufjs as in Mesos's C++ decoder.
    {
      name: 'GET_HEALTH first, then a launch',
      who: 'operator',
      headers: PROTOBUF,
      chunks: [Buffer.concat([getHealth, launch])],
      want: 'ERR_GATEWAY_FORBIDDEN',
    },
    {
      name: 'a repeated JSON key (the last wins, as in JSON.parse and Mesos)',
      who: 'operator',
      headers: JSON_TYPE,
      chunks: [Buffer.from('{"type":"GET_HEALTH","type":"LAUNCH_NESTED_CONTAINER_SESSION"}')],
      want: 'ERR_GATEWAY_FORBIDDEN',
    },
    {
      name: 'a JSON type name of another enum',
      who: 'operator',
      headers: JSON_TYPE,
      chunks: [Buffer.from('{"type":"SUBSCRIBE"}')],
      want: 'ERR_GATEWAY_AGENT_CALL_INVALID',
    },
    {
      name: 'an input stream whose first record is split across chunks',
      who: 'operator',
      headers: STREAM,
      chunks: (() => {
        const bytes = frame(inputRecords.containerId({ value: 'n', parent: { value: 'p' } }));
        return [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)];
      })(),
      want: 'ERR_GATEWAY_FORBIDDEN',
    },
    {
      name: 'a RecordIO stream of JSON text labelled protobuf',
      who: 'admin',
      headers: STREAM,
      chunks: [Buffer.from('5\n{"a":')],
      want: 'ERR_GATEWAY_AGENT_CALL_INVALID',
    },
    { name: 'a RecordIO length that is not a number', who: 'admin', headers: STREAM, chunks: [Buffer.from('x\nabc')], want: 'ERR_GATEWAY_AGENT_CALL_INVALID' },
    { name: 'no Content-Type', who: 'admin', headers: {}, chunks: [launch], want: 'ERR_GATEWAY_AGENT_CALL_MEDIA' },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.want}`, async () => {
      const verdict = await gate(c.who, c.headers, c.chunks);
      expect(verdict.kind === 'refuse' ? verdict.code : verdict.callType).toBe(c.want);
    });
  }

  it('what passes is forwarded byte for byte: the record read, then the rest of the stream', async () => {
    const records = [inputRecords.containerId({ value: 'n', parent: { value: 'p' } }), inputRecords.stdin('hello'), inputRecords.stdin('')].map(frame);
    const verdict = await gate('admin', STREAM, [Buffer.concat(records.slice(0, 2)).subarray(0, 20), Buffer.concat(records).subarray(20)]);
    expect(verdict.forwarded).toEqual(Buffer.concat(records));
    expect(verdict.kind === 'pass' && verdict.timeoutMs).toBe(0);
  });
});
