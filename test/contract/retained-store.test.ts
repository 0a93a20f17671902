import { describe } from 'node:test'
import { MemoryRetainedStore } from '../../src/store/memory/memory-retained-store.js'
import { openTempSqlite } from '../store/temp-sqlite.js'
import { runRetainedStoreContract } from './retained-store.contract.js'

describe('memory retained store', () => runRetainedStoreContract(async () => new MemoryRetainedStore()))
describe('sqlite retained store', () => runRetainedStoreContract(async (t) => (await openTempSqlite(t)).retained))
