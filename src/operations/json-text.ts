// An output member already serialized as JSON: what is costly to serialize and read many
// times (a result page's rows, made ready once per aggregation, statistics/result-pages.ts)
// is handed to the wire as text, in parts written one after the other as they are
// (wire/output-json.ts): a page's rows are a slice of one buffer, sent without a copy.
export class JsonText {
  constructor(readonly parts: readonly (string | Uint8Array)[]) {}
}
