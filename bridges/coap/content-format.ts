/**
 * CoAP Content-Format numbers (RFC 7252 §12.3 registry) <-> media types, which are at the same time
 * the MQTT 5 Content Type property and the HTTP Content-Type header (DESIGN.md §9.2).
 */

const FORMATS: ReadonlyArray<readonly [number, string]> = [
  [0, 'text/plain;charset=utf-8'],
  [40, 'application/link-format'],
  [41, 'application/xml'],
  [42, 'application/octet-stream'],
  [47, 'application/exi'],
  [50, 'application/json'],
  [60, 'application/cbor'],
  [110, 'application/senml+json'],
  [112, 'application/senml+cbor'],
]

const BY_NUMBER = new Map<number, string>(FORMATS)
const BY_TYPE = new Map<string, number>(FORMATS.map(([n, t]) => [t, n]))

/** The media type for a Content-Format number, or undefined for a number outside the table. */
export function contentTypeOf(contentFormat: number): string | undefined {
  return BY_NUMBER.get(contentFormat)
}

/**
 * The Content-Format number for an MQTT content type or HTTP Content-Type, or undefined when the
 * table has none. Case, spaces and parameters other than a UTF-8 charset on text/plain are ignored
 * (`text/plain` and `text/plain; charset=UTF-8` are both 0).
 */
export function contentFormatOf(contentType: string): number | undefined {
  const [rawType = '', ...params] = contentType.toLowerCase().split(';').map((s) => s.trim())
  if (rawType === 'text/plain') {
    const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '')
    return charset === undefined || charset === 'utf-8' ? 0 : undefined
  }
  return BY_TYPE.get(rawType)
}

/** Every Content-Format number the bridge translates, for docs and tests. */
export function knownContentFormats(): ReadonlyArray<readonly [number, string]> {
  return FORMATS
}
