// The operator API decodes a bare JSON call (`{"type": NAME}`) with its own table of Call.Type, without
// protobufjs: the table must be master.proto's enum exactly, and such a call must decode as the full
// protobufjs check decodes it; anything more in a call goes to that check.
import { describe, expect, it } from 'vitest';
import { MASTER_CALL_TYPES, plainJsonCallType } from '../../../cluster/local/api/operator-call-types.js';
import { CallDecodeError, decodeCall } from '../../../cluster/local/api/operator-proto.js';
import { loadProtoRoot } from '../../../cluster/proto-root.js';

const protoEnum = loadProtoRoot('master.proto').lookupEnum('mesos.v1.master.Call.Type').values;

describe('the Call.Type table', () => {
  it("is master.proto's mesos.v1.master.Call.Type, every name with its number", () => {
    expect(MASTER_CALL_TYPES).toEqual(protoEnum);
  });

  for (const name of Object.keys(protoEnum)) {
    it(`{"type": "${name}"} decodes as ${name}`, () => {
      expect(decodeCall(Buffer.from(JSON.stringify({ type: name })), 'application/json')).toEqual({ type: name });
    });
  }
});

describe('what the table leaves to the full check', () => {
  const cases: { name: string; json: object; decoded: { type: string | undefined } | RegExp }[] = [
    { name: 'a call with its message', json: { type: 'GET_METRICS', get_metrics: { timeout: { nanoseconds: 5 } } }, decoded: { type: 'GET_METRICS' } },
    {
      name: 'a type name the enum does not know',
      json: { type: 'GET_EVERYTHING' },
      decoded: /'type': "GET_EVERYTHING" is not a value of mesos.v1.master.Call.Type/,
    },
    { name: 'a type that is a number', json: { type: 9 }, decoded: /'type': 9 is not a value/ },
    { name: 'a null type (unset, as in Mesos)', json: { type: null }, decoded: { type: undefined } },
    { name: 'no type', json: {}, decoded: { type: undefined } },
    { name: "a name from Object's prototype", json: { type: 'constructor' }, decoded: /'type': "constructor" is not a value/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(plainJsonCallType(c.json)).toBeNull();
      const body = Buffer.from(JSON.stringify(c.json));
      if (c.decoded instanceof RegExp) {
        expect(() => decodeCall(body, 'application/json')).toThrow(CallDecodeError);
        expect(() => decodeCall(body, 'application/json')).toThrow(c.decoded);
      } else expect(decodeCall(body, 'application/json')).toEqual(c.decoded);
    });
  }
});
