/**
 * The CLI's JSON output (search --json events and progress, top --json, search.json, export):
 * JSON.stringify with 64-bit integers (bigint seeds, sequences, times) written as decimal strings,
 * as the proto JSON mapping writes them. Graphs are written as layer JSON (`layerJsonFromProto`),
 * never as wire messages with numeric enums.
 */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}
