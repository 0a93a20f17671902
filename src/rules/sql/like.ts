/**
 * SQL LIKE matching: `%` any run of characters, `_` exactly one character, `\` takes the next
 * character literally. A two-pointer matcher that backtracks only to the last `%` (the classic
 * wildcard algorithm), so its cost is at most pattern length x subject length: a pattern such as
 * `%a%a%a%b` cannot stall the hub the way a backtracking regular expression could.
 */
export type LikePattern = ReadonlyArray<{ any: true } | { one: true } | { char: string }>

/** Parse a LIKE pattern once; characters are code points. */
export function parseLike(pattern: string): LikePattern {
  const out: Array<{ any: true } | { one: true } | { char: string }> = []
  const chars = Array.from(pattern)
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string
    if (c === '\\' && i + 1 < chars.length) out.push({ char: chars[++i] as string })
    else if (c === '%') {
      // consecutive '%' mean the same as one
      if (!(out.length > 0 && 'any' in (out[out.length - 1] as object))) out.push({ any: true })
    } else if (c === '_') out.push({ one: true })
    else out.push({ char: c })
  }
  return out
}

/** Whether `subject` matches the whole pattern. */
export function matchLike(pattern: LikePattern, subject: string): boolean {
  const s = Array.from(subject)
  let si = 0
  let pi = 0
  let starPi = -1
  let starSi = 0
  while (si < s.length) {
    const token = pattern[pi]
    if (token !== undefined && ('one' in token || ('char' in token && token.char === s[si]))) {
      si++
      pi++
    } else if (token !== undefined && 'any' in token) {
      starPi = pi++
      starSi = si
    } else if (starPi >= 0) {
      // let the last '%' swallow one more character and retry from there
      pi = starPi + 1
      si = ++starSi
    } else {
      return false
    }
  }
  while (pi < pattern.length && 'any' in (pattern[pi] as object)) pi++
  return pi === pattern.length
}
