import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt, { type Packet } from 'mqtt-packet'
import { FrameReader, violationCode } from '../../../src/broker/frame-reader.js'

function readAll(reader: FrameReader, chunks: Buffer[]): Packet[] {
  const out: Packet[] = []
  for (const chunk of chunks) reader.push(chunk, (p) => out.push(p as Packet), () => false)
  return out
}

const publish = mqtt.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(200, 1), qos: 1, messageId: 5, retain: true, dup: false })
const ping = mqtt.generate({ cmd: 'pingreq' })

test('packets split at every byte boundary are reassembled', () => {
  const stream = Buffer.concat([publish, ping, publish])
  for (let cut = 1; cut < stream.length; cut++) {
    const packets = readAll(new FrameReader(1024), [stream.subarray(0, cut), stream.subarray(cut)])
    assert.deepEqual(packets.map((p) => p.cmd), ['publish', 'pingreq', 'publish'], `cut at ${cut}`)
  }
})

test('one byte at a time works as well', () => {
  const bytes = Buffer.concat([ping, publish])
  const packets = readAll(new FrameReader(1024), [...bytes].map((b) => Buffer.from([b])))
  const last = packets[1] as mqtt.IPublishPacket
  assert.equal(last.topic, 'a/b')
  assert.equal(last.messageId, 5)
  assert.equal(last.retain, true)
  assert.equal(last.payload.length, 200)
})

test('a remaining length above the maximum is refused from the header alone with 0x95', () => {
  const reader = new FrameReader(100)
  assert.throws(() => readAll(reader, [publish.subarray(0, 3)]), (e) => violationCode(e) === 0x95)
})

test('5.0 PUBLISH properties are parsed (mqtt-packet path) and the fast path handles none', () => {
  const reader = new FrameReader(1024)
  reader.version = 5
  const withProps = mqtt.generate(
    { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { contentType: 'text/plain' } },
    { protocolVersion: 5 },
  )
  const without = mqtt.generate({ cmd: 'publish', topic: 't', payload: Buffer.from('y'), qos: 0, retain: false, dup: false }, { protocolVersion: 5 })
  const [a, b] = readAll(reader, [withProps, without]) as mqtt.IPublishPacket[]
  assert.equal(a?.properties?.contentType, 'text/plain')
  assert.equal(b?.payload.toString(), 'y')
})

test('ill-formed UTF-8 in a SUBSCRIBE filter is malformed (0x81)', () => {
  const reader = new FrameReader(1024)
  const filter = Buffer.from([0x61, 0xff])
  const body = Buffer.concat([Buffer.from([0, 1, 0, filter.length]), filter, Buffer.from([0])])
  assert.throws(() => readAll(reader, [Buffer.concat([Buffer.from([0x82, body.length]), body])]), (e) => violationCode(e) === 0x81)
})

test('a two-byte packet sent one byte per chunk (a WebSocket frame each) is read', () => {
  const packets = readAll(new FrameReader(1024), [Buffer.from([0xe0]), Buffer.from([0x00])])
  assert.deepEqual(packets.map((p) => p.cmd), ['disconnect'])
})

const connect = mqtt.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'x', clean: true, keepalive: 0 })

function expectConnectStillParses(): void {
  const packets = readAll(new FrameReader(1024), [connect])
  assert.equal(packets[0]?.cmd, 'connect')
}

test('a malformed frame does not poison the shared parser for the next connection (regression)', () => {
  // PINGREQ with a remaining length of 7, then a CONNACK with bad flags: mqtt-packet kept its read
  // position after the error and misread the next CONNECT
  const bytes = Buffer.from('c00759fba92657acf8203408e83e7fa29e2912c70107a785e9d673e1a5618e2ee38bb349cc041223f310e26283e36d7be84fff01f7cd611b0a1a96f756bbdeed', 'hex')
  assert.throws(() => readAll(new FrameReader(1024), [bytes]), (e) => violationCode(e) !== undefined)
  expectConnectStillParses()
})

test('random frames only ever raise protocol violations and never break later parsing (bounded fuzz)', () => {
  let seed = 12345
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  for (let i = 0; i < 20_000; i++) {
    const bytes = Buffer.alloc(48)
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256)
    // Mostly valid fixed-header flags, so that the bodies reach mqtt-packet's parsers
    const type = (bytes[0] as number) >> 4
    bytes[0] = (type << 4) | ([6, 8, 10].includes(type) ? 2 : type === 3 ? (bytes[0] as number) & 0x0b : 0)
    const reader = new FrameReader(1024)
    reader.version = random() < 0.5 ? 4 : 5
    try {
      reader.push(bytes, () => {}, () => false)
    } catch (error) {
      assert.notEqual(violationCode(error), undefined, `not a protocol violation: ${String(error)} for ${bytes.toString('hex')}`)
    }
  }
  expectConnectStillParses()
})

test('short acknowledgements decode like mqtt-packet, and a PUBREL with wrong flags is malformed', () => {
  for (const version of [4, 5] as const) {
    const reader = new FrameReader(1024)
    reader.version = version
    const acks: Packet[] = [
      { cmd: 'puback', messageId: 1 },
      { cmd: 'pubrec', messageId: 258 },
      { cmd: 'pubrel', messageId: 65535 },
      { cmd: 'pubcomp', messageId: 7 },
    ]
    const decoded = readAll(reader, acks.map((p) => mqtt.generate(p, { protocolVersion: version })))
    assert.deepEqual(decoded.map((p) => [p.cmd, p.messageId]), acks.map((p) => [p.cmd, p.messageId]))
  }
  assert.throws(() => readAll(new FrameReader(1024), [Buffer.from([0x60, 2, 0, 1])]), (e) => violationCode(e) === 0x81)
})
