import { describe } from 'node:test'
import { MemorySessionStore } from '../../src/store/memory/memory-session-store.js'
import { openTempSqlite } from '../store/temp-sqlite.js'
import { runSessionStoreContract } from './session-store.contract.js'

describe('memory session store', () => runSessionStoreContract(async () => new MemorySessionStore()))
describe('sqlite session store', () => runSessionStoreContract(async (t) => (await openTempSqlite(t)).sessions))
