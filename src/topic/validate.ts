/**
 * Topic name and topic filter rules, MQTT 5.0 §4.7 (same in 3.1.1 §4.7).
 * Pure functions; they return an error message or undefined so that every edge can map it.
 */

const MAX_TOPIC_BYTES = 65535

/** Why a topic name is not valid for PUBLISH, or undefined if it is. */
export function checkTopicName(topic: string, maxLevels = Infinity): string | undefined {
  // [MQTT-4.7.3-1] All Topic Names and Topic Filters MUST be at least one character long
  if (topic.length === 0) return 'topic must not be empty'
  if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) return 'topic is longer than 65535 bytes'
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i)
    // [MQTT-3.3.2-2] The Topic Name in the PUBLISH packet MUST NOT contain wildcard characters
    if (c === 0x23 || c === 0x2b) return `topic must not contain wildcards ('+' or '#'): ${topic}`
    // [MQTT-4.7.3-2] Topic Names and Topic Filters MUST NOT include the null character
    if (c === 0) return 'topic must not contain the null character U+0000'
    // Unpaired surrogates mean the UTF-8 was not well-formed [MQTT-1.5.4-1]
    if (c >= 0xd800 && c <= 0xdfff && !isSurrogatePair(topic, i)) return 'topic is not well-formed UTF-8'
    if (c >= 0xd800 && c <= 0xdbff) i++
  }
  if (maxLevels !== Infinity && countLevels(topic) > maxLevels) return `topic has more than ${maxLevels} levels`
  return undefined
}

/** Why a topic filter is not valid for SUBSCRIBE, or undefined if it is. Shared filters are checked whole. */
export function checkTopicFilter(filter: string, maxLevels = Infinity): string | undefined {
  if (filter.length === 0) return 'topic filter must not be empty'
  if (Buffer.byteLength(filter) > MAX_TOPIC_BYTES) return 'topic filter is longer than 65535 bytes'
  const shared = parseSharedFilter(filter)
  if (shared === null) return `shared subscription must be $share/{group}/{filter}: ${filter}`
  const plain = shared?.filter ?? filter
  const levels = plain.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string
    if (level.includes('\u0000')) return 'topic filter must not contain the null character U+0000'
    // [MQTT-4.7.1-2] '#' must be the last character and occupy a whole level
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return `'#' must be the whole last level of a topic filter: ${filter}`
    }
    // [MQTT-4.7.1-3] '+' must occupy an entire level
    if (level.includes('+') && level !== '+') return `'+' must occupy a whole level of a topic filter: ${filter}`
  }
  if (hasLoneSurrogate(plain)) return 'topic filter is not well-formed UTF-8'
  if (maxLevels !== Infinity && levels.length > maxLevels) return `topic filter has more than ${maxLevels} levels`
  return undefined
}

export interface SharedFilter {
  group: string
  filter: string
}

/**
 * Split `$share/{group}/{filter}` (MQTT 5.0 §4.8.2). Returns undefined for an ordinary filter and null
 * for a malformed shared one. [MQTT-4.8.2-1] the ShareName must be at least one character and must not
 * include '/', '+' or '#'. [MQTT-4.8.2-2] a filter must follow.
 */
export function parseSharedFilter(filter: string): SharedFilter | undefined | null {
  if (!filter.startsWith('$share/')) return undefined
  const slash = filter.indexOf('/', 7)
  if (slash < 0) return null
  const group = filter.slice(7, slash)
  const rest = filter.slice(slash + 1)
  if (group.length === 0 || /[+#]/.test(group) || rest.length === 0) return null
  return { group, filter: rest }
}

export function isWildcardFilter(filter: string): boolean {
  return filter.includes('+') || filter.includes('#')
}

function countLevels(topic: string): number {
  let n = 1
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 0x2f) n++
  return n
}

function isSurrogatePair(s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  if (c > 0xdbff) return false
  const d = s.charCodeAt(i + 1)
  return d >= 0xdc00 && d <= 0xdfff
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdfff) {
      if (!isSurrogatePair(s, i)) return true
      i++
    }
  }
  return false
}
