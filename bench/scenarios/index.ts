import type { Scenario } from '../lib/scenario.js'
import { coapPublishScenario, httpPublishScenario } from './bridges.js'
import { mqttScenarios } from './mqtt.js'
import { rulesFanInScenario } from './rules.js'
import { persistentSessionScenario } from './storage.js'

/** Every scenario `npm run bench` runs, in report order. */
export const scenarios: Scenario[] = [...mqttScenarios, persistentSessionScenario, httpPublishScenario, coapPublishScenario, rulesFanInScenario]

/** Scenarios the issues ask for whose feature is not in the hub yet, with the reason the report gives. */
export const notYetMeasured: Array<{ name: string; reason: string }> = []
