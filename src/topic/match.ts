/**
 * Match one topic name against one topic filter (MQTT 5.0 §4.7.1). For many filters use
 * {@link TopicTree}; this is for one-off checks such as ACL rules and the rules engine's `=~`.
 */
export function matchTopic(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with '$'
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    const level = f[i]
    if (level === '#') return true // '#' also matches the parent level [MQTT-4.7.1-2]
    if (i >= t.length) return false
    if (level !== '+' && level !== t[i]) return false
  }
  return f.length === t.length
}
