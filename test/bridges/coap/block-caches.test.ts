import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Block1Assembler } from '../../../bridges/coap/block1.js'
import { Block2Cache, etagOf, sliceBlock } from '../../../bridges/coap/block2.js'

const limits = { maxPayloadSize: 10_000, maxTransfers: 10, maxBufferedBytes: 3000, timeout: 60 }

test('Block1 reassembles in order, re-acknowledges a repeated block and completes with the whole body', (t) => {
  const assembler = new Block1Assembler(limits)
  t.after(() => assembler.clear())
  const body = Buffer.alloc(40, 7)
  assert.deepEqual(assembler.accept('k', { num: 0, more: true, szx: 0 }, body.subarray(0, 16), undefined), { kind: 'continue', block: { num: 0, more: true, szx: 0 } })
  assert.equal(assembler.accept('k', { num: 0, more: true, szx: 0 }, body.subarray(0, 16), undefined).kind, 'continue', 'a repeated first block restarts')
  assert.equal(assembler.accept('k', { num: 1, more: true, szx: 0 }, body.subarray(16, 32), undefined).kind, 'continue')
  assert.equal(assembler.accept('k', { num: 1, more: true, szx: 0 }, body.subarray(16, 32), undefined).kind, 'continue', 'a retransmitted block is acknowledged again')
  const done = assembler.accept('k', { num: 2, more: false, szx: 0 }, body.subarray(32), undefined)
  assert.equal(done.kind, 'complete')
  if (done.kind === 'complete') assert.deepEqual(done.payload, body)
})

test('Block1 refuses a short middle block (4.08), a gap (4.08) and an announced oversized body (4.13)', (t) => {
  const assembler = new Block1Assembler(limits)
  t.after(() => assembler.clear())
  assert.equal(assembler.accept('a', { num: 0, more: true, szx: 0 }, Buffer.alloc(10), undefined).kind, 'error')
  assembler.accept('b', { num: 0, more: true, szx: 0 }, Buffer.alloc(16), undefined)
  const gap = assembler.accept('b', { num: 2, more: true, szx: 0 }, Buffer.alloc(16), undefined)
  assert.deepEqual(gap.kind === 'error' && gap.code, '4.08')
  const big = assembler.accept('c', { num: 0, more: true, szx: 0 }, Buffer.alloc(16), 20_000)
  assert.deepEqual(big.kind === 'error' && big.code, '4.13')
})

test('Block1 drops the oldest transfer when all together buffer more than the budget', (t) => {
  const assembler = new Block1Assembler(limits)
  t.after(() => assembler.clear())
  assembler.accept('old', { num: 0, more: true, szx: 6 }, Buffer.alloc(1024), undefined)
  assembler.accept('old', { num: 1, more: true, szx: 6 }, Buffer.alloc(1024), undefined)
  assembler.accept('new', { num: 0, more: true, szx: 6 }, Buffer.alloc(1024), undefined)
  assert.equal(assembler.accept('new', { num: 1, more: true, szx: 6 }, Buffer.alloc(1024), undefined).kind, 'continue')
  const gone = assembler.accept('old', { num: 2, more: false, szx: 6 }, Buffer.alloc(5), undefined)
  assert.deepEqual(gone.kind === 'error' && gone.code, '4.08', 'the oldest upload was dropped')
  assert.equal(assembler.accept('new', { num: 2, more: false, szx: 6 }, Buffer.alloc(5), undefined).kind, 'complete')
})

test('Block2 slices follow the requested size and scale the block number when the server uses a smaller size', () => {
  const payload = Buffer.from(Array.from({ length: 100 }, (_, i) => i))
  assert.deepEqual(sliceBlock(payload, undefined, 32)?.block, { num: 0, more: true, szx: 1 })
  const third = sliceBlock(payload, { num: 3, more: false, szx: 1 }, 32)
  assert.deepEqual(third?.block, { num: 3, more: false, szx: 1 })
  assert.deepEqual([...(third?.payload ?? [])], [96, 97, 98, 99])
  // Asked for block 1 of 64 bytes, served as block 2 of 32 bytes (RFC 7959 §2.4)
  assert.deepEqual(sliceBlock(payload, { num: 1, more: false, szx: 2 }, 32)?.block, { num: 2, more: true, szx: 1 })
  assert.equal(sliceBlock(payload, { num: 9, more: false, szx: 1 }, 32), undefined)
})

test('the Block2 cache keeps representations within its byte budget, oldest out first', () => {
  const cache = new Block2Cache(60_000, 100, 2500)
  const rep = (n: number) => ({ payload: Buffer.alloc(1000, n), options: [], etag: etagOf(Buffer.of(n)) })
  cache.store('a', rep(1))
  cache.store('b', rep(2))
  cache.store('c', rep(3))
  assert.equal(cache.get('a'), undefined)
  assert.ok(cache.get('b') && cache.get('c'))
})
