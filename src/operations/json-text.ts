// An output member already serialized as JSON: what is costly to serialize and read many
// times (a result page's rows, made ready once per aggregation, statistics/result-pages.ts)
// is handed to the wire as text, which writes it as it is (wire/output-json.ts).
export class JsonText {
  constructor(readonly text: string) {}
}
