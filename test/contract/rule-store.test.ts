import { describe } from 'node:test'
import { MemoryRuleStore } from '../../src/store/memory/memory-rule-store.js'
import { openTempSqlite } from '../store/temp-sqlite.js'
import { runRuleStoreContract } from './rule-store.contract.js'

describe('memory rule store', () => runRuleStoreContract(async () => new MemoryRuleStore()))
describe('sqlite rule store', () => runRuleStoreContract(async (t) => (await openTempSqlite(t)).rules))
